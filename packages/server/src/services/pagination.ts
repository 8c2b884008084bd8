import { VerityError } from '../errors/verity-error.js'

export const DEFAULT_PAGE_SIZE = 50
export const MAX_PAGE_SIZE = 100

/** limit 1–100, default 50; larger values are capped rather than refused. */
export function pageSize(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_PAGE_SIZE
  if (!Number.isInteger(limit) || limit < 1) throw new VerityError('invalid_request', 'limit must be a whole number from 1 to 100.')
  return Math.min(limit, MAX_PAGE_SIZE)
}

/** Cursors are opaque to clients: the last id of the previous page, wrapped. */
export function encodeCursor(lastId: string): string {
  return Buffer.from(`c1:${lastId}`, 'utf8').toString('base64url')
}

export function decodeCursor(cursor: string | undefined, idPattern: RegExp): string | null {
  if (cursor === undefined) return null
  const text = Buffer.from(cursor, 'base64url').toString('utf8')
  const id = text.startsWith('c1:') ? text.slice(3) : ''
  if (!idPattern.test(id) || encodeCursor(id) !== cursor) {
    throw new VerityError('invalid_request', 'Unknown cursor: pass the next_cursor of a previous page, or none for the first page.')
  }
  return id
}

export function nextCursor<T extends { id: string }>(items: readonly T[], limit: number): string | null {
  return items.length === limit ? encodeCursor(items[items.length - 1]!.id) : null
}
