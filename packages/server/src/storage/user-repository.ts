import type { Kysely, Selectable } from 'kysely'
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

/** Verified users' profiles, one row per app and namespaced identity. */
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
  async recordSigned(user: UserIdentity, signedJson: string, at: string): Promise<void> {
    await this.#db
      .insertInto('users')
      .values({
        app_id: user.appId,
        user_key: user.userKey,
        user_id: user.userId,
        email: user.email,
        email_verified: user.emailVerified ? 1 : 0,
        name: null,
        attributes: '{}',
        signed_attributes: signedJson,
        signed_at: at,
        version: 1,
        updated_at: at,
      })
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
      .execute()
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
    if (expectedVersion === null) {
      const result = await this.#db
        .insertInto('users')
        .values({
          app_id: user.appId,
          user_key: user.userKey,
          user_id: user.userId,
          email: user.email,
          email_verified: user.emailVerified ? 1 : 0,
          name: profile.name,
          attributes: profile.attributesJson,
          signed_attributes: '{}',
          signed_at: null,
          version: 1,
          updated_at: at,
        })
        .onConflict((oc) => oc.columns(['app_id', 'user_key']).doNothing())
        .executeTakeFirst()
      return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1
    }
    const result = await this.#db
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
}
