import { randomBytes } from 'node:crypto'
import type { Kysely } from 'kysely'
import { newId } from '../crypto/random-ids.js'
import { SecretBox, signingKeyAad } from '../crypto/secret-box.js'
import type { SigningKey } from '../tokens/access-token-keyring.js'
import { changeConfig } from './config-change.js'
import type { Database } from './schema.js'


/** Verity's own keys for access tokens (never an app's secrets), encrypted at rest. */
export class SigningKeyRepository {
  readonly #db: Kysely<Database>
  readonly #box: SecretBox

  constructor(db: Kysely<Database>, box: SecretBox) {
    this.#db = db
    this.#box = box
  }

  /** All keys, oldest first. A key that does not open is left out (and reported by the caller). */
  async all(): Promise<{ keys: SigningKey[]; unreadable: string[] }> {
    const rows = await this.#db.selectFrom('signing_keys').selectAll().orderBy('id').execute()
    const keys: SigningKey[] = []
    const unreadable: string[] = []
    for (const row of rows) {
      const opened = this.#box.open(row.ciphertext, signingKeyAad(row.id))
      if (opened === null) unreadable.push(row.id)
      else keys.push({ id: row.id, key: Buffer.from(opened, 'base64url'), createdAt: row.created_at })
    }
    return { keys, unreadable }
  }

  /** Adds a 256-bit key; the newest key signs, older ones keep verifying (see the keyring). */
  async rotate(actor: string, now: Date): Promise<{ id: string; createdAt: string }> {
    const id = newId('key', now.getTime())
    const createdAt = now.toISOString()
    const ciphertext = this.#box.seal(randomBytes(32).toString('base64url'), signingKeyAad(id))
    await changeConfig(this.#db, { actor, action: 'signing_key.created', target: id }, now, async (trx) => {
      await trx.insertInto('signing_keys').values({ id, ciphertext, created_at: createdAt }).execute()
    })
    return { id, createdAt }
  }
}
