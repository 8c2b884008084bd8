import type { Kysely, Selectable } from 'kysely'
import { isPostgres, notifyOnCommit, PROFILES_CHANNEL } from './notify.js'
import type { Database, UsersTable } from './schema.js'

export type UserRow = Selectable<UsersTable>

export interface UserIdentity {
  readonly appId: string
  /** The namespaced identity: `uid:<id>` or `email:<email>`. */
  readonly userKey: string
  readonly userId: string | null
  readonly email: string | null
  /** Whether the session proved the email (see access-token-claims.ts). */
  readonly emailVerified: boolean
}

/** One user's profile, as caches and the NOTIFY that tells them of a change name it. */
export function userProfileKey(appId: string, userKey: string): string {
  return `${appId} ${userKey}`
}

/** NOTIFY payloads stop short of PostgreSQL's 8000 bytes; a longer key says "any profile". */
const MAX_NOTICE_BYTES = 7_000

/**
 * Verified users' profiles, one row per app and namespaced identity. On PostgreSQL every write
 * that changes a row tells the other instances, on commit, whose profile changed.
 */
export class UserRepository {
  readonly #db: Kysely<Database>

  constructor(db: Kysely<Database>) {
    this.#db = db
  }

  async get(appId: string, userKey: string): Promise<UserRow | null> {
    const row = await this.#db.selectFrom('users').selectAll().where('app_id', '=', appId).where('user_key', '=', userKey).executeTakeFirst()
    return row ?? null
  }

  async many(appId: string, userKeys: readonly string[]): Promise<UserRow[]> {
    if (userKeys.length === 0) return []
    return this.#db.selectFrom('users').selectAll().where('app_id', '=', appId).where('user_key', 'in', userKeys).execute()
  }

  /**
   * Replaces what identity tokens signed, unless a later token's attributes are stored already
   * (batches from several processes may arrive out of order). A login that signs what is stored
   * already writes nothing: every identity-token login comes here, and on SQLite each write is a
   * commit to disk on the request path. The price: such a login does not advance `signed_at`, so
   * a different token processed earlier that commits only after it can still be stored.
   */
  async recordSigned(user: UserIdentity, signedJson: string, at: string): Promise<boolean> {
    return this.#changing(user, async (db) => {
      const result = await db
        .insertInto('users')
        .values(newUserRow(user, { name: null, attributes: '{}', signed_attributes: signedJson, signed_at: at }, at))
        .onConflict((oc) =>
          oc
            .columns(['app_id', 'user_key'])
            .doUpdateSet((eb) => ({
              signed_attributes: eb.ref('excluded.signed_attributes'),
              signed_at: eb.ref('excluded.signed_at'),
              user_id: eb.ref('excluded.user_id'),
              email: eb.ref('excluded.email'),
              email_verified: eb.ref('excluded.email_verified'),
              updated_at: eb.ref('excluded.updated_at'),
              version: eb('users.version', '+', 1),
            }))
            .where((eb) =>
              eb.and([
                eb.or([eb('users.signed_at', 'is', null), eb('users.signed_at', '<=', eb.ref('excluded.signed_at'))]),
                eb.or([
                  eb('users.signed_attributes', 'is distinct from', eb.ref('excluded.signed_attributes')),
                  eb('users.user_id', 'is distinct from', eb.ref('excluded.user_id')),
                  eb('users.email', 'is distinct from', eb.ref('excluded.email')),
                  eb('users.email_verified', 'is distinct from', eb.ref('excluded.email_verified')),
                ]),
              ]),
            ),
        )
        .executeTakeFirst()
      return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1
    })
  }

  /**
   * Writes the messenger's part of a profile if nobody wrote the row since it was read at
   * `expectedVersion` (null: it did not exist). False means: read again and retry. This guards
   * read-modify-write the same way on SQLite and PostgreSQL, without row locks.
   */
  async writeProfile(
    user: UserIdentity,
    expectedVersion: number | null,
    profile: { name: string | null; attributesJson: string },
    at: string,
  ): Promise<boolean> {
    return this.#changing(user, (db) => writeProfileRow(db, user, expectedVersion, profile, at))
  }

  /** Runs a write that says whether it changed the row; on PostgreSQL, NOTIFYs on commit if so. */
  async #changing(user: UserIdentity, write: (db: Kysely<Database>) => Promise<boolean>): Promise<boolean> {
    if (!isPostgres(this.#db)) return write(this.#db)
    const key = userProfileKey(user.appId, user.userKey)
    const notice = Buffer.byteLength(key) <= MAX_NOTICE_BYTES ? key : ''
    return this.#db.transaction().execute(async (trx) => {
      const changed = await write(trx)
      if (changed) await notifyOnCommit(trx, PROFILES_CHANNEL, notice)
      return changed
    })
  }
}

/** A user's first row: who they are, and what the first write brings. */
function newUserRow(user: UserIdentity, parts: Pick<UserRow, 'name' | 'attributes' | 'signed_attributes' | 'signed_at'>, at: string): UserRow {
  return { app_id: user.appId, user_key: user.userKey, user_id: user.userId, email: user.email, email_verified: user.emailVerified ? 1 : 0, ...parts, version: 1, updated_at: at }
}

async function writeProfileRow(
  db: Kysely<Database>,
  user: UserIdentity,
  expectedVersion: number | null,
  profile: { name: string | null; attributesJson: string },
  at: string,
): Promise<boolean> {
  if (expectedVersion === null) {
    const result = await db
      .insertInto('users')
      .values(newUserRow(user, { name: profile.name, attributes: profile.attributesJson, signed_attributes: '{}', signed_at: null }, at))
      .onConflict((oc) => oc.columns(['app_id', 'user_key']).doNothing())
      .executeTakeFirst()
    return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1
  }
  const result = await db
    .updateTable('users')
    .set({
      name: profile.name,
      attributes: profile.attributesJson,
      user_id: user.userId,
      email: user.email,
      email_verified: user.emailVerified ? 1 : 0,
      version: expectedVersion + 1,
      updated_at: at,
    })
    .where('app_id', '=', user.appId)
    .where('user_key', '=', user.userKey)
    .where('version', '=', expectedVersion)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}
