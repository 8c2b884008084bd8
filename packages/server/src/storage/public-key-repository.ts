import type { Kysely } from 'kysely'
import type { Platform } from '../verification/platforms.js'
import type { Database } from './schema.js'

export interface StoredPublicKey {
  readonly id: string
  readonly appId: string
  readonly platform: Platform
  readonly kid: string | null
  readonly algorithm: string | null
  /** The public JWK; null for a JWKS URL. */
  readonly jwk: Readonly<Record<string, string>> | null
  readonly jwksUrl: string | null
  readonly createdAt: string
}

export type NewPublicKey = Omit<StoredPublicKey, 'createdAt'>

/** Reads the public keys of many apps at once (the configuration load). */
export async function publicKeysOfApps(db: Kysely<Database>, appIds: readonly string[]): Promise<StoredPublicKey[]> {
  if (appIds.length === 0) return []
  const rows = await db.selectFrom('public_keys').selectAll().where('app_id', 'in', appIds).orderBy('id').execute()
  return rows.map(toStored)
}

/** Writes and reads of one platform's public keys, inside the caller's configuration change. */
export const publicKeyRows = {
  async ofPlatform(db: Kysely<Database>, appId: string, platform: Platform): Promise<StoredPublicKey[]> {
    const rows = await db.selectFrom('public_keys').selectAll().where('app_id', '=', appId).where('platform', '=', platform).orderBy('id').execute()
    return rows.map(toStored)
  },
  async insert(db: Kysely<Database>, key: NewPublicKey, at: string): Promise<void> {
    await db
      .insertInto('public_keys')
      .values({
        id: key.id,
        app_id: key.appId,
        platform: key.platform,
        kid: key.kid,
        algorithm: key.algorithm,
        jwk: key.jwk ? JSON.stringify(key.jwk) : null,
        jwks_url: key.jwksUrl,
        created_at: at,
      })
      .execute()
  },
  /** Whether a row was deleted. */
  async remove(db: Kysely<Database>, appId: string, platform: Platform, id: string): Promise<boolean> {
    const result = await db.deleteFrom('public_keys').where('id', '=', id).where('app_id', '=', appId).where('platform', '=', platform).executeTakeFirst()
    return Number(result.numDeletedRows) > 0
  },
}

/** One platform's public keys outside a configuration change (the admin list). */
export class PublicKeyRepository {
  readonly #db: Kysely<Database>

  constructor(db: Kysely<Database>) {
    this.#db = db
  }

  ofPlatform(appId: string, platform: Platform): Promise<StoredPublicKey[]> {
    return publicKeyRows.ofPlatform(this.#db, appId, platform)
  }
}

function toStored(row: Database['public_keys']): StoredPublicKey {
  return {
    id: row.id,
    appId: row.app_id,
    platform: row.platform as Platform,
    kid: row.kid,
    algorithm: row.algorithm,
    jwk: row.jwk === null ? null : (JSON.parse(row.jwk) as Record<string, string>),
    jwksUrl: row.jwks_url,
    createdAt: row.created_at,
  }
}
