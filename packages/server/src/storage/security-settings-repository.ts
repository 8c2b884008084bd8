import type { Kysely } from 'kysely'
import { changeConfig, type AuditEntry } from './config-change.js'
import type { Database } from './schema.js'

const REQUIRE_TOTP = 'require_totp'

export interface SecuritySettings {
  /** Every teammate must turn on two-factor sign-in before any call but their own account's. */
  readonly requireTotp: boolean
}

/** Settings an owner changes for everyone; each change is a configuration revision, so every instance applies it within 2 s. */
export class SecuritySettingsRepository {
  readonly #db: Kysely<Database>

  constructor(db: Kysely<Database>) {
    this.#db = db
  }

  async get(): Promise<SecuritySettings> {
    const row = await this.#db.selectFrom('meta').select('value').where('key', '=', REQUIRE_TOTP).executeTakeFirst()
    return { requireTotp: row?.value === '1' }
  }

  async setRequireTotp(value: boolean, audit: Pick<AuditEntry, 'actor' | 'client'>, now: Date): Promise<void> {
    const before = await this.get()
    await changeConfig(this.#db, { ...audit, action: 'security.changed', details: { before: { require_totp: before.requireTotp }, after: { require_totp: value } } }, now, async (trx) => {
      await trx.deleteFrom('meta').where('key', '=', REQUIRE_TOTP).execute()
      await trx.insertInto('meta').values({ key: REQUIRE_TOTP, value: value ? '1' : '0' }).execute()
    })
  }
}
