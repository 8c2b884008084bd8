import { createHash } from 'node:crypto'
import type { Kysely } from 'kysely'
import { newAdminKey, newId } from '../crypto/random-ids.js'
import { changeConfig } from './config-change.js'
import type { Database } from './schema.js'

/** Admin keys are stored as SHA-256 digests: a database leak does not hand out admin access. */
export function hashAdminKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex')
}

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
