import type { Kysely } from 'kysely'
import type { Role } from '../authorization/roles.js'
import type { Database } from './schema.js'

export interface ApiTokenRecord {
  readonly id: string
  readonly teammateId: string
  readonly teammateEmail: string
  /** The teammate's role now: a token never acts above it. */
  readonly teammateRole: Role
  readonly name: string
  readonly role: Role
  readonly createdAt: string
  readonly expiresAt: string | null
  readonly lastUsedAt: string | null
}

/** Personal API tokens (`vpt_…`), stored as SHA-256 digests: a database leak hands out none. */
export class ApiTokenRepository {
  readonly #db: Kysely<Database>

  constructor(db: Kysely<Database>) {
    this.#db = db
  }

  async create(token: { id: string; tokenHash: string; teammateId: string; name: string; role: Role; expiresAt: Date | null }, now: Date): Promise<void> {
    await this.#db
      .insertInto('api_tokens')
      .values({ id: token.id, token_hash: token.tokenHash, teammate_id: token.teammateId, name: token.name, role: token.role, created_at: now.toISOString(), expires_at: token.expiresAt?.toISOString() ?? null, last_used_at: null })
      .execute()
  }

  async byTokenHash(tokenHash: string): Promise<ApiTokenRecord | undefined> {
    const row = await this.#select().where('k.token_hash', '=', tokenHash).executeTakeFirst()
    return row && toToken(row)
  }

  /** The tokens among these ids that still exist (live streams ask every second). */
  async withIds(ids: readonly string[]): Promise<ApiTokenRecord[]> {
    if (ids.length === 0) return []
    return (await this.#select().where('k.id', 'in', ids).execute()).map(toToken)
  }

  async listForTeammate(teammateId: string): Promise<ApiTokenRecord[]> {
    return (await this.#select().where('k.teammate_id', '=', teammateId).orderBy('k.id', 'desc').execute()).map(toToken)
  }

  async delete(teammateId: string, id: string): Promise<boolean> {
    const result = await this.#db.deleteFrom('api_tokens').where('id', '=', id).where('teammate_id', '=', teammateId).executeTakeFirst()
    return Number(result.numDeletedRows) > 0
  }

  async touch(id: string, now: Date): Promise<void> {
    await this.#db.updateTable('api_tokens').set({ last_used_at: now.toISOString() }).where('id', '=', id).execute()
  }

  #select() {
    return this.#db
      .selectFrom('api_tokens as k')
      .innerJoin('teammates as t', 't.id', 'k.teammate_id')
      .select(['k.id', 'k.teammate_id', 't.email', 't.role as teammate_role', 'k.name', 'k.role', 'k.created_at', 'k.expires_at', 'k.last_used_at'])
  }
}

function toToken(row: { id: string; teammate_id: string; email: string; teammate_role: string; name: string; role: string; created_at: string; expires_at: string | null; last_used_at: string | null }): ApiTokenRecord {
  return {
    id: row.id,
    teammateId: row.teammate_id,
    teammateEmail: row.email,
    teammateRole: row.teammate_role as Role,
    name: row.name,
    role: row.role as Role,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
  }
}
