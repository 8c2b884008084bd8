import type { Kysely } from 'kysely'
import type { AuditEventsTable, Database } from '../storage/schema.js'
import { decodeCursor, nextCursor, pageSize } from './pagination.js'

/** A stored event, with its details parsed from JSON. */
export type AuditEventView = Omit<AuditEventsTable, 'details'> & { details: Record<string, unknown> | null }

/** Who changed which setting or secret, when: newest first. Never holds a secret value. */
export async function listAuditEvents(
  db: Kysely<Database>,
  options: { limit?: number; cursor?: string; appId?: string },
): Promise<{ events: AuditEventView[]; next_cursor: string | null }> {
  const limit = pageSize(options.limit)
  const before = decodeCursor(options.cursor, /^evt_[0-9a-z]{26}$/)
  let query = db.selectFrom('audit_events').selectAll().orderBy('id', 'desc').limit(limit)
  if (before) query = query.where('id', '<', before)
  if (options.appId) query = query.where('app_id', '=', options.appId)
  const rows = await query.execute()
  const events = rows.map((r) => ({ ...r, details: r.details ? (JSON.parse(r.details) as Record<string, unknown>) : null }))
  return { events, next_cursor: nextCursor(events, limit) }
}
