import type { Kysely } from 'kysely'
import { SecretBox, secretAad } from '../crypto/secret-box.js'
import { PLATFORMS, type Platform } from '../verification/platforms.js'
import { publicKeysOfApps, type StoredPublicKey } from './public-key-repository.js'
import type { Database } from './schema.js'
import { deleteAppDataInBatches, deleteAppStatistics } from './delete-app-rows.js'

export const ENVIRONMENTS = ['development', 'test', 'production'] as const
export type Environment = (typeof ENVIRONMENTS)[number]

export interface StoredSecret {
  readonly id: string
  readonly platform: Platform
  /** Decrypted; null when the ciphertext does not open (tampered, or moved from another app). */
  readonly value: string | null
  readonly createdAt: string
  readonly revokedAt: string | null
  readonly lastUsedAt: string | null
}

export interface StoredPlatform {
  readonly enforced: boolean
  readonly updatedAt: string
}

export interface StoredApp {
  readonly id: string
  readonly name: string
  readonly environment: Environment
  readonly createdAt: string
  readonly revision: number
  readonly platforms: Readonly<Record<Platform, StoredPlatform>>
  readonly secrets: readonly StoredSecret[]
  /** Customer-held public keys (JWKs and JWKS URLs) of every platform. */
  readonly publicKeys: readonly StoredPublicKey[]
}

/** Reads apps with their platforms and secrets, decrypting secrets with the master key. */
export class AppRepository {
  readonly #db: Kysely<Database>
  readonly #box: SecretBox

  constructor(db: Kysely<Database>, box: SecretBox) {
    this.#db = db
    this.#box = box
  }

  /** An app's data in small batches before its deletion (delete-app-rows.ts). */
  deleteDataInBatches(appId: string): Promise<void> {
    return deleteAppDataInBatches(this.#db, appId)
  }

  /** What the statistics writer added after an app's deletion. */
  deleteLateStatistics(appId: string): Promise<void> {
    return deleteAppStatistics(this.#db, appId)
  }

  sealSecret(appId: string, platform: Platform, secretId: string, value: string): string {
    return this.#box.seal(value, secretAad(appId, platform, secretId))
  }

  async get(appId: string): Promise<StoredApp | null> {
    const [app] = await this.#load(this.#db.selectFrom('apps').selectAll().where('id', '=', appId))
    return app ?? null
  }

  /** Apps changed after `revision`, for incremental refresh of the in-memory config. */
  async changedSince(revision: number): Promise<StoredApp[]> {
    return this.#load(this.#db.selectFrom('apps').selectAll().where('revision', '>', revision))
  }

  /** Every app's id: the config cache forgets the apps that are gone. */
  async ids(): Promise<string[]> {
    return (await this.#db.selectFrom('apps').select('id').execute()).map((r) => r.id)
  }

  /** A page of apps, oldest first; ids are time-ordered, so the last id is the cursor. */
  async page(limit: number, afterId: string | null): Promise<StoredApp[]> {
    let query = this.#db.selectFrom('apps').selectAll().orderBy('id').limit(limit)
    if (afterId) query = query.where('id', '>', afterId)
    return this.#load(query)
  }

  async #load(query: { execute(): Promise<Database['apps'][]> }): Promise<StoredApp[]> {
    const apps = await query.execute()
    if (apps.length === 0) return []
    const ids = apps.map((a) => a.id)
    const platformRows: Database['platforms'][] = []
    const secretRows: Database['secrets'][] = []
    const publicKeys: StoredPublicKey[] = []
    // Chunked: SQLite limits bound parameters, and a first load may cover thousands of apps.
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500)
      platformRows.push(...(await this.#db.selectFrom('platforms').selectAll().where('app_id', 'in', chunk).execute()))
      secretRows.push(...(await this.#db.selectFrom('secrets').selectAll().where('app_id', 'in', chunk).orderBy('id').execute()))
      publicKeys.push(...(await publicKeysOfApps(this.#db, chunk)))
    }
    const platformsByApp = new Map<string, Record<string, StoredPlatform>>()
    for (const row of platformRows) {
      const entry = platformsByApp.get(row.app_id) ?? {}
      entry[row.platform] = { enforced: Number(row.enforced) === 1, updatedAt: row.updated_at }
      platformsByApp.set(row.app_id, entry)
    }
    const secretsByApp = new Map<string, StoredSecret[]>()
    for (const row of secretRows) {
      const list = secretsByApp.get(row.app_id) ?? []
      list.push({
        id: row.id,
        platform: row.platform as Platform,
        value: this.#box.open(row.ciphertext, secretAad(row.app_id, row.platform, row.id)),
        createdAt: row.created_at,
        revokedAt: row.revoked_at,
        lastUsedAt: row.last_used_at,
      })
      secretsByApp.set(row.app_id, list)
    }
    const publicKeysByApp = new Map<string, StoredPublicKey[]>()
    for (const key of publicKeys) publicKeysByApp.set(key.appId, [...(publicKeysByApp.get(key.appId) ?? []), key])
    return apps.map((app) => {
      const stored = platformsByApp.get(app.id) ?? {}
      const platforms = Object.fromEntries(
        PLATFORMS.map((p) => [p, stored[p] ?? { enforced: false, updatedAt: app.created_at }]),
      ) as Record<Platform, StoredPlatform>
      return {
        id: app.id,
        name: app.name,
        environment: app.environment as Environment,
        createdAt: app.created_at,
        revision: Number(app.revision),
        platforms,
        secrets: secretsByApp.get(app.id) ?? [],
        publicKeys: publicKeysByApp.get(app.id) ?? [],
      }
    })
  }
}
