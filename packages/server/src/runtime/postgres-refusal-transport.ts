import { sql, type Kysely } from 'kysely'
import type { PostgresChangeListener } from '../config-cache/postgres-change-listener.js'
import { REFUSALS_CHANNEL } from '../storage/notify.js'
import type { Database } from '../storage/schema.js'
import type { RefusalTransport } from './shared-refusals.js'

/** Refusal batches over PostgreSQL NOTIFY: every instance on the database, every worker of each. */
export function postgresRefusalTransport(db: Kysely<Database>, listener: PostgresChangeListener, onError: (error: unknown) => void): RefusalTransport {
  return {
    send: (batch) => {
      sql`select pg_notify(${REFUSALS_CHANNEL}, ${batch})`.execute(db).catch(onError)
    },
    onReceive: (handler) =>
      listener.subscribe(REFUSALS_CHANNEL, (payload) => {
        if (payload) handler(payload)
      }),
  }
}
