import { sql, type Kysely } from 'kysely'
import type { SqliteSynchronous } from '../config/server-config.js'
import type { Database } from './schema.js'

interface Durability {
  durably<T>(write: () => Promise<T>): Promise<T>
}

const registry = new WeakMap<Kysely<Database>, Durability>()

/**
 * Runs a write that must survive a power cut once it is acknowledged: configuration, secrets,
 * teammates, erasures and sign-outs. On SQLite with `synchronous = NORMAL` an ordinary commit is
 * not synced (the last commits may roll back after a power cut or an OS crash, never after a
 * process crash, and the file stays consistent); these writes are synced. PostgreSQL commits are
 * always durable.
 */
export function durably<T>(db: Kysely<Database>, write: () => Promise<T>): Promise<T> {
  const durability = registry.get(db)
  return durability ? durability.durably(write) : write()
}

/**
 * SQLite refuses to change its safety level inside a transaction, so the level is set through
 * Kysely's one connection, between transactions, and held at FULL while any durable write runs.
 * The pragmas run in their own chain, so a reset to NORMAL can never overtake the next FULL.
 */
export function syncDurableWrites(db: Kysely<Database>, ordinary: SqliteSynchronous): void {
  if (ordinary === 'full') return
  let holders = 0
  let chain: Promise<void> = Promise.resolve()
  const set = (level: 'FULL' | 'NORMAL'): Promise<void> => {
    const done = chain.then(async () => {
      await sql.raw(`pragma synchronous = ${level}`).execute(db)
    })
    chain = done.catch(() => {})
    return done
  }
  registry.set(db, {
    async durably(write) {
      const ready = holders++ === 0 ? set('FULL') : chain
      try {
        await ready
        return await write()
      } finally {
        if (--holders === 0) void set('NORMAL').catch(() => {})
      }
    },
  })
}
