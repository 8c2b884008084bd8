import type { Kysely } from 'kysely'
import type { AuditEventsTable, Database } from './schema.js'

export type AuditEventRow = AuditEventsTable

export interface AuditQuery {
  readonly appId?: string | undefined
  readonly actor?: string | undefined
  readonly action?: string | undefined
  /** ISO time: events at or after. */
  readonly since?: string | undefined
  /** Events with a smaller id than this (the page boundary). */
  readonly before?: string | null
  readonly limit: number
}

/** Reads the audit log; events are written with their change (config-change.ts). */
export class AuditRepository {
  readonly #db: Kysely<Database>

  constructor(db: Kysely<Database>) {
    this.#db = db
  }

  /** Newest first. */
  async list(q: AuditQuery): Promise<AuditEventRow[]> {
    let query = this.#db.selectFrom('audit_events').selectAll().orderBy('id', 'desc').limit(q.limit)
    if (q.before) query = query.where('id', '<', q.before)
    if (q.appId) query = query.where('app_id', '=', q.appId)
    if (q.actor) query = query.where('actor', '=', q.actor)
    if (q.action) query = query.where('action', '=', q.action)
    if (q.since) query = query.where('at', '>=', q.since)
    return query.execute()
  }
}
