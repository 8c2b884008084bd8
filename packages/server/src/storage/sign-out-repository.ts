import type { Kysely } from 'kysely'
import type { Database } from './schema.js'

export interface SignOutRow {
  readonly appId: string
  /** The digest of the namespaced identity (verification/user-digest.ts). */
  readonly userKey: string
  readonly signedOutBefore: string
}

/** Users signed out everywhere (migration 0006). Written inside a configuration change. */
export class SignOutRepository {
  readonly #db: Kysely<Database>

  constructor(db: Kysely<Database>) {
    this.#db = db
  }

  /** Sign-outs recorded after `revision`, for the config cache's incremental refresh. */
  async changedSince(revision: number): Promise<SignOutRow[]> {
    const rows = await this.#db.selectFrom('sign_outs').select(['app_id', 'user_key', 'signed_out_before']).where('revision', '>', revision).execute()
    return rows.map((r) => ({ appId: r.app_id, userKey: r.user_key, signedOutBefore: r.signed_out_before }))
  }
}

/** Records (or moves forward) a sign-out, within the configuration change's transaction. */
export async function recordSignOut(trx: Kysely<Database>, row: SignOutRow, revision: number): Promise<void> {
  await trx
    .insertInto('sign_outs')
    .values({ app_id: row.appId, user_key: row.userKey, signed_out_before: row.signedOutBefore, revision })
    .onConflict((oc) =>
      oc.columns(['app_id', 'user_key']).doUpdateSet((eb) => ({ signed_out_before: eb.ref('excluded.signed_out_before'), revision: eb.ref('excluded.revision') })),
    )
    .execute()
}
