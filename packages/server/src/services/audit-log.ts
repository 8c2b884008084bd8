import type { AuditEventRow, AuditRepository } from '../storage/audit-repository.js'
import { decodeCursor, nextCursor, pageSize } from './pagination.js'

/** A stored event, with its details parsed from JSON. */
export type AuditEventView = Omit<AuditEventRow, 'details'> & { details: Record<string, unknown> | null }

export interface AuditFilter {
  readonly appId?: string | undefined
  readonly actor?: string | undefined
  readonly action?: string | undefined
  /** RFC 3339: events at or after. */
  readonly since?: string | undefined
}

/** The most events one CSV export holds (the newest). */
export const CSV_EXPORT_LIMIT = 10_000

/** Who changed which setting or secret, when: newest first. Never holds a secret value. */
export class AuditLog {
  readonly #repo: AuditRepository

  constructor(repo: AuditRepository) {
    this.#repo = repo
  }

  list(options: AuditFilter & { limit?: number | undefined; cursor?: string | undefined; exportAll?: boolean }): Promise<{ events: AuditEventView[]; next_cursor: string | null }> {
    return listAuditEvents(this.#repo, options)
  }
}

async function listAuditEvents(
  audit: AuditRepository,
  options: AuditFilter & { limit?: number | undefined; cursor?: string | undefined; exportAll?: boolean },
): Promise<{ events: AuditEventView[]; next_cursor: string | null }> {
  const limit = options.exportAll ? CSV_EXPORT_LIMIT : pageSize(options.limit)
  const before = decodeCursor(options.cursor, /^evt_[0-9a-z]{26}$/)
  const since = options.since ? new Date(options.since).toISOString() : undefined
  const rows = await audit.list({ appId: options.appId, actor: options.actor, action: options.action, since, before, limit })
  const events = rows.map((r) => ({ ...r, details: r.details ? (JSON.parse(r.details) as Record<string, unknown>) : null }))
  return { events, next_cursor: options.exportAll ? null : nextCursor(events, limit) }
}

const CSV_COLUMNS = ['id', 'at', 'actor', 'client', 'action', 'app_id', 'platform', 'target', 'details'] as const

/**
 * RFC 4180 CSV. A cell that a spreadsheet would run as a formula (=, +, -, @, tab, CR) gets a
 * leading apostrophe: the audit log holds text that others typed (app names, emails).
 */
export function auditCsv(events: readonly AuditEventView[]): string {
  const cell = (value: unknown): string => {
    let text = value === null || value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value)
    if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
  }
  return [CSV_COLUMNS.join(','), ...events.map((e) => CSV_COLUMNS.map((c) => cell(e[c])).join(','))].join('\r\n') + '\r\n'
}
