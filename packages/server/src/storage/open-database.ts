import { closeSync, mkdirSync, openSync } from 'node:fs'
import { join } from 'node:path'
import SqliteDatabase from 'better-sqlite3'
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely'
import pg from 'pg'
import type { StorageConfig } from '../config/server-config.js'
import { syncDurableWrites } from './durable-commits.js'
import type { Database } from './schema.js'
import { LongestCall } from './longest-call.js'
import { startSqliteCheckpointer } from './sqlite-checkpointer.js'
import { sqliteStatements } from './sqlite-statements.js'

export type Dialect = 'sqlite' | 'postgres'

export interface OpenDatabase {
  readonly db: Kysely<Database>
  readonly dialect: Dialect
  /** Where the data lives, for messages: a file path, or the PostgreSQL host and database. */
  readonly location: string
  /** PostgreSQL only: the pool's connections now (metrics). */
  readonly poolStats?: () => { total: number; idle: number; waiting: number }
  /** SQLite only: the longest call that held the event loop since the previous one (ms, metrics). */
  readonly longestCallMs?: () => number
  close(): Promise<void>
}

export const SQLITE_FILE = 'verity.db'

export interface OpenDatabaseOptions {
  /**
   * SQLite: checkpoint the write-ahead log from a worker thread (a serving process), rather than
   * inside whichever commit crosses the log's size (short-lived CLI commands).
   */
  readonly backgroundCheckpoints?: boolean
}

/** Opens SQLite in the data folder, or PostgreSQL when a URL is configured. */
export function openDatabase(config: StorageConfig, options: OpenDatabaseOptions = {}): OpenDatabase {
  if (config.databaseUrl) return openPostgres(config)
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 })
  const file = join(config.dataDir, SQLITE_FILE)
  createOwnerOnly(file)
  const sqlite = new SqliteDatabase(file)
  // WAL lets the CLI and a running server share the file; the busy timeout waits for the other
  // writer. Ordinary commits sync as configured (VERITY_SQLITE_SYNCHRONOUS): a sync on this
  // connection holds the event loop for as long as the disk takes, so by default only the writes
  // that must survive a power cut (durably(), storage/durable-commits.ts) pay for it.
  sqlite.pragma('journal_mode = WAL')
  sqlite.pragma(`synchronous = ${config.sqliteSynchronous === 'full' ? 'FULL' : 'NORMAL'}`)
  sqlite.pragma('busy_timeout = 5000')
  sqlite.pragma('foreign_keys = ON')
  const calls = new LongestCall()
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqliteStatements(sqlite, calls) }) })
  syncDurableWrites(db, config.sqliteSynchronous)
  const checkpointer = options.backgroundCheckpoints ? startSqliteCheckpointer(sqlite, file) : null
  const close = async (): Promise<void> => {
    await checkpointer?.stop()
    await db.destroy()
  }
  return { db, dialect: 'sqlite', location: file, longestCallMs: () => calls.take(), close }
}

/**
 * Creates the database file readable by its owner only, unless it exists. SQLite would create it
 * with the umask's mode (0644, world-readable, in a data folder that already existed), and it gives
 * the -wal and -shm files the main file's mode, so this one mode covers all three.
 */
function createOwnerOnly(file: string): void {
  try {
    closeSync(openSync(file, 'wx', 0o600))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
  }
}

/** Pool limits and timeouts come from VERITY_DB_POOL_MAX, VERITY_DB_CONNECT_TIMEOUT_MS, VERITY_DB_STATEMENT_TIMEOUT_MS. */
function openPostgres(config: StorageConfig): OpenDatabase {
  const url = config.databaseUrl!
  const pool = new pg.Pool({
    connectionString: url,
    max: config.dbPoolMax,
    connectionTimeoutMillis: config.dbConnectTimeoutMs,
    idleTimeoutMillis: 30_000,
    statement_timeout: config.dbStatementTimeoutMs,
    // A connection cut without a FIN (a failed-over database, a dropped NAT entry) is noticed.
    keepAlive: true,
  })
  // An idle client that loses its connection emits 'error' on the pool; without a listener
  // that would crash the process instead of failing the next query.
  pool.on('error', () => {})
  // The pool listens only to idle clients. A client checked out by a transaction, between two
  // statements, when the server goes away (a restart, a failover) would emit an unhandled 'error'
  // and crash the process; its next query fails instead, and the pool drops it on release.
  pool.on('connect', (client) => client.on('error', () => {}))
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
  const parsed = new URL(url)
  const poolStats = () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount })
  return { db, dialect: 'postgres', location: `${parsed.host}${parsed.pathname}`, poolStats, close: () => db.destroy() }
}
