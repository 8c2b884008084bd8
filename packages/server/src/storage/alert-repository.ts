import type { Kysely } from 'kysely'
import { newId } from '../crypto/random-ids.js'
import type { Database } from './schema.js'

/** Alerts kept in storage: the newest, older ones are dropped as new ones arrive. */
export const ALERTS_KEPT = 1_000

export interface NewAlert {
  readonly type: string
  readonly appId: string
  readonly platform: string
  readonly details: Readonly<Record<string, unknown>>
  /** Raised at most once ever for this key (an exposed secret's id). */
  readonly onceKey?: string
  /** Not raised again for the same type, app and platform within this many ms (any instance). */
  readonly quietMs?: number
}

export interface StoredAlert {
  readonly id: string
  readonly type: string
  readonly appId: string
  readonly platform: string
  readonly createdAt: string
  readonly details: Record<string, unknown>
}

/** The alerts table; all alert SQL lives here. */
export class AlertRepository {
  readonly #db: Kysely<Database>

  constructor(db: Kysely<Database>) {
    this.#db = db
  }

  /**
   * Stores the alert unless its once-key was used or the same alert was raised within its quiet
   * period; `then` runs in the same transaction for an alert stored (its webhook event), so
   * the event is queued exactly when the alert is. Returns whether it was stored.
   */
  async raise(alert: NewAlert, now: number, then: (trx: Kysely<Database>) => Promise<void>): Promise<boolean> {
    const createdAt = new Date(now).toISOString()
    return this.#db.transaction().execute(async (trx) => {
      if (alert.quietMs !== undefined) {
        const since = new Date(now - alert.quietMs).toISOString()
        const recent = await trx
          .selectFrom('alerts')
          .select('id')
          .where('app_id', '=', alert.appId)
          .where('platform', '=', alert.platform)
          .where('type', '=', alert.type)
          .where('created_at', '>', since)
          .limit(1)
          .executeTakeFirst()
        if (recent) return false
      }
      const inserted = await trx
        .insertInto('alerts')
        .values({
          id: newId('alrt', now),
          type: alert.type,
          app_id: alert.appId,
          platform: alert.platform,
          created_at: createdAt,
          details: JSON.stringify(alert.details),
          once_key: alert.onceKey ?? null,
        })
        .onConflict((oc) => oc.column('once_key').doNothing())
        .returning('id')
        .executeTakeFirst()
      if (!inserted) return false
      await then(trx)
      const cutoff = await trx.selectFrom('alerts').select('id').orderBy('id', 'desc').offset(ALERTS_KEPT).limit(1).executeTakeFirst()
      if (cutoff) await trx.deleteFrom('alerts').where('id', '<=', cutoff.id).execute()
      return true
    })
  }

  /** Newest first. */
  async list(limit: number, before: string | null): Promise<StoredAlert[]> {
    let query = this.#db.selectFrom('alerts').selectAll().orderBy('id', 'desc').limit(limit)
    if (before) query = query.where('id', '<', before)
    return (await query.execute()).map(toAlert)
  }

  /** Ids after `afterId`, in order, for the live feed. */
  async idsAfter(afterId: string, limit: number): Promise<string[]> {
    const rows = await this.#db.selectFrom('alerts').select('id').where('id', '>', afterId).orderBy('id').limit(limit).execute()
    return rows.map((r) => r.id)
  }

  async withIds(ids: readonly string[]): Promise<StoredAlert[]> {
    if (ids.length === 0) return []
    return (await this.#db.selectFrom('alerts').selectAll().where('id', 'in', ids).orderBy('id').execute()).map(toAlert)
  }
}

function toAlert(r: { id: string; type: string; app_id: string; platform: string; created_at: string; details: string }): StoredAlert {
  return { id: r.id, type: r.type, appId: r.app_id, platform: r.platform, createdAt: r.created_at, details: JSON.parse(r.details) as Record<string, unknown> }
}
