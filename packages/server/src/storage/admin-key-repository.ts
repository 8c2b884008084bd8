import { createHash } from 'node:crypto'
import type { Kysely } from 'kysely'
import { newAdminKey, newId } from '../crypto/random-ids.js'
import { changeConfig } from './config-change.js'
import type { Database } from './schema.js'

/** Admin keys are stored as SHA-256 digests: a database leak does not hand out admin access. */
export function hashAdminKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex')
}

const ENV_KEY_META = 'env_admin_key_hash'

export interface AdminKeyRecord {
  readonly id: string
  readonly keyHash: string
  readonly label: string
}

export class AdminKeyRepository {
  readonly #db: Kysely<Database>

  constructor(db: Kysely<Database>) {
    this.#db = db
  }

  async all(): Promise<AdminKeyRecord[]> {
    const rows = await this.#db.selectFrom('admin_keys').select(['id', 'key_hash', 'label']).execute()
    return rows.map((r) => ({ id: r.id, keyHash: r.key_hash, label: r.label }))
  }

  async anyRetired(): Promise<boolean> {
    return (await this.#db.selectFrom('retired_admin_keys').select('key_hash').limit(1).executeTakeFirst()) !== undefined
  }

  async isRetired(keyHash: string): Promise<boolean> {
    return (await this.#db.selectFrom('retired_admin_keys').select('key_hash').where('key_hash', '=', keyHash).executeTakeFirst()) !== undefined
  }

  /**
   * Remembers the digest of the key a server was started with (VERITY_ADMIN_KEY), so that
   * `verity admin-key rotate|disable`, run where that variable is not set, can retire it too.
   */
  async recordEnvKey(keyHash: string): Promise<void> {
    await this.#db.deleteFrom('meta').where('key', '=', ENV_KEY_META).execute()
    await this.#db.insertInto('meta').values({ key: ENV_KEY_META, value: keyHash }).execute()
  }

  /**
   * Ends every admin key, stored or from VERITY_ADMIN_KEY, and with `replace` makes a new one
   * (returned in clear, once). One configuration change: every instance applies it within 2 s.
   */
  async retireAll(replace: boolean, actor: string, now: Date): Promise<{ id: string; key: string } | null> {
    const key = replace ? newAdminKey() : null
    const id = newId('adk', now.getTime())
    await changeConfig(this.#db, { actor, action: replace ? 'admin_key.rotated' : 'admin_key.disabled', target: replace ? id : null }, now, async (trx) => {
      const stored = await trx.selectFrom('admin_keys').select('key_hash').execute()
      const env = await trx.selectFrom('meta').select('value').where('key', '=', ENV_KEY_META).executeTakeFirst()
      const hashes = new Set([...stored.map((r) => r.key_hash), ...(env ? [env.value] : [])])
      for (const keyHash of hashes) {
        const known = await trx.selectFrom('retired_admin_keys').select('key_hash').where('key_hash', '=', keyHash).executeTakeFirst()
        if (!known) await trx.insertInto('retired_admin_keys').values({ key_hash: keyHash, retired_at: now.toISOString() }).execute()
      }
      await trx.deleteFrom('admin_keys').execute()
      if (key) await trx.insertInto('admin_keys').values({ id, key_hash: hashAdminKey(key), label: 'rotated', created_at: now.toISOString() }).execute()
    })
    return key ? { id, key } : null
  }

  /** Creates a key and returns it in clear, the only time it exists outside the caller's hands. */
  async create(label: string, actor: string, now: Date): Promise<{ id: string; key: string }> {
    const key = newAdminKey()
    const id = newId('adk', now.getTime())
    await changeConfig(this.#db, { actor, action: 'admin_key.created', target: id, details: { label } }, now, async (trx) => {
      await trx.insertInto('admin_keys').values({ id, key_hash: hashAdminKey(key), label, created_at: now.toISOString() }).execute()
    })
    return { id, key }
  }
}
