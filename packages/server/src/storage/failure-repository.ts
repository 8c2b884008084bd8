import type { Kysely, Selectable } from 'kysely'
import type { Database, FailuresTable } from './schema.js'

export type FailureRow = Selectable<FailuresTable>

/** The failure log's reads; all its SQL lives here (the flush writes in services/auth-event-buffer.ts). */
export class FailureRepository {
  readonly #db: Kysely<Database>

  constructor(db: Kysely<Database>) {
    this.#db = db
  }

  async appExists(appId: string): Promise<boolean> {
    return (await this.#db.selectFrom('apps').select('id').where('id', '=', appId).executeTakeFirst()) !== undefined
  }

  /** Newest first; ids are time-ordered, so the last id of a page bounds the next. */
  async page(appId: string, filter: { platform?: string | undefined; diagnosis?: string | undefined }, limit: number, beforeId: string | null): Promise<FailureRow[]> {
    let query = this.#db.selectFrom('failures').selectAll().where('app_id', '=', appId).orderBy('id', 'desc').limit(limit)
    if (filter.platform) query = query.where('platform', '=', filter.platform)
    if (filter.diagnosis) query = query.where('diagnosis', '=', filter.diagnosis)
    if (beforeId) query = query.where('id', '<', beforeId)
    return query.execute()
  }

  /** Ids after `afterId`, in order: cheap (the primary key alone), for the live feed. */
  async idsAfter(afterId: string, limit: number): Promise<string[]> {
    const rows = await this.#db.selectFrom('failures').select('id').where('id', '>', afterId).orderBy('id').limit(limit).execute()
    return rows.map((r) => r.id)
  }

  async withIds(ids: readonly string[]): Promise<FailureRow[]> {
    if (ids.length === 0) return []
    return this.#db.selectFrom('failures').selectAll().where('id', 'in', ids).orderBy('id').execute()
  }
}
