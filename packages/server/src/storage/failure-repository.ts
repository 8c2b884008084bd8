import type { Kysely } from 'kysely'
import type { Database, FailuresTable } from './schema.js'

export type FailureRow = FailuresTable

/** Reads the recorded failures; the statistics writer records them. */
export class FailureRepository {
  readonly #db: Kysely<Database>

  constructor(db: Kysely<Database>) {
    this.#db = db
  }

  /** One app's failures, newest first, below `before`; null when the app does not exist. */
  async page(appId: string, q: { platform?: string | undefined; before: string | null; limit: number }): Promise<FailureRow[] | null> {
    const app = await this.#db.selectFrom('apps').select('id').where('id', '=', appId).executeTakeFirst()
    if (!app) return null
    let query = this.#db.selectFrom('failures').selectAll().where('app_id', '=', appId).orderBy('id', 'desc').limit(q.limit)
    if (q.platform) query = query.where('platform', '=', q.platform)
    if (q.before) query = query.where('id', '<', q.before)
    return query.execute()
  }
}
