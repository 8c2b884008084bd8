import type { Kysely } from 'kysely'
import type { Role } from '../authorization/roles.js'
import type { Database, TeammateSessionsTable, TeammatesTable } from './schema.js'

export interface SessionRecord {
  readonly id: string
  readonly teammateId: string
  readonly email: string
  readonly name: string | null
  readonly role: Role
  readonly totpEnabled: boolean
  readonly csrfToken: string
  readonly createdAt: string
  readonly lastSeenAt: string
  readonly expiresAt: string
  readonly confirmedUntil: string | null
  readonly ip: string
  readonly userAgent: string | null
}

export interface NewSession {
  readonly id: string
  readonly tokenHash: string
  readonly teammateId: string
  readonly csrfToken: string
  readonly expiresAt: Date
  readonly ip: string
  readonly userAgent: string | null
}

/**
 * Dashboard sessions, kept on the server and found by the digest of their cookie. Every request
 * reads the row, so a session ended here (sign-out, password change, removal, role change) stops
 * working on every instance at once.
 */
export class TeammateSessionRepository {
  readonly #db: Kysely<Database>

  constructor(db: Kysely<Database>) {
    this.#db = db
  }

  async create(session: NewSession, now: Date): Promise<void> {
    const at = now.toISOString()
    await this.#db
      .insertInto('teammate_sessions')
      .values({
        id: session.id,
        token_hash: session.tokenHash,
        teammate_id: session.teammateId,
        csrf_token: session.csrfToken,
        created_at: at,
        last_seen_at: at,
        expires_at: session.expiresAt.toISOString(),
        confirmed_until: null,
        ip: session.ip,
        user_agent: session.userAgent,
      })
      .execute()
  }

  async byTokenHash(tokenHash: string): Promise<SessionRecord | undefined> {
    const row = await this.#select().where('s.token_hash', '=', tokenHash).executeTakeFirst()
    return row && toSession(row)
  }

  /** The sessions among these ids that still exist (live streams ask every second). */
  async withIds(ids: readonly string[]): Promise<SessionRecord[]> {
    if (ids.length === 0) return []
    return (await this.#select().where('s.id', 'in', ids).execute()).map(toSession)
  }

  async listForTeammate(teammateId: string): Promise<SessionRecord[]> {
    const rows = await this.#select().where('s.teammate_id', '=', teammateId).orderBy('s.id', 'desc').execute()
    return rows.map(toSession)
  }

  async touch(id: string, now: Date): Promise<void> {
    await this.#db.updateTable('teammate_sessions').set({ last_seen_at: now.toISOString() }).where('id', '=', id).execute()
  }

  async confirm(id: string, until: Date): Promise<void> {
    await this.#db.updateTable('teammate_sessions').set({ confirmed_until: until.toISOString() }).where('id', '=', id).execute()
  }

  /** Ends one session of this teammate; false when there is none by that id. */
  async end(teammateId: string, id: string): Promise<boolean> {
    const result = await this.#db.deleteFrom('teammate_sessions').where('id', '=', id).where('teammate_id', '=', teammateId).executeTakeFirst()
    return Number(result.numDeletedRows) > 0
  }

  async endAllBut(teammateId: string, keepId: string | null): Promise<number> {
    let query = this.#db.deleteFrom('teammate_sessions').where('teammate_id', '=', teammateId)
    if (keepId) query = query.where('id', '!=', keepId)
    return Number((await query.executeTakeFirst()).numDeletedRows)
  }

  /** Sessions past their absolute end or idle too long go, a batch at a time. */
  async prune(now: Date, idleMs: number): Promise<void> {
    const idleSince = new Date(now.getTime() - idleMs).toISOString()
    await this.#db.deleteFrom('teammate_sessions').where((eb) => eb.or([eb('expires_at', '<=', now.toISOString()), eb('last_seen_at', '<=', idleSince)])).execute()
  }

  #select() {
    return this.#db
      .selectFrom('teammate_sessions as s')
      .innerJoin('teammates as t', 't.id', 's.teammate_id')
      .select(['s.id', 's.teammate_id', 't.email', 't.name', 't.role', 't.totp_enabled', 's.csrf_token', 's.created_at', 's.last_seen_at', 's.expires_at', 's.confirmed_until', 's.ip', 's.user_agent'])
  }
}

type SessionRow = Omit<TeammateSessionsTable, 'token_hash'> & Pick<TeammatesTable, 'email' | 'name' | 'role' | 'totp_enabled'>

function toSession(row: SessionRow): SessionRecord {
  return {
    id: row.id,
    teammateId: row.teammate_id,
    email: row.email,
    name: row.name,
    role: row.role as Role,
    totpEnabled: row.totp_enabled === 1,
    csrfToken: row.csrf_token,
    createdAt: row.created_at,
    lastSeenAt: row.last_seen_at,
    expiresAt: row.expires_at,
    confirmedUntil: row.confirmed_until,
    ip: row.ip,
    userAgent: row.user_agent,
  }
}
