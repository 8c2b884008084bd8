import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'
import type SqliteDatabase from 'better-sqlite3'

/** How often the background connection copies the write-ahead log into the database file. */
export const CHECKPOINT_EVERY_MS = 1_000
/** A log that grew in a burst is cut back to this size once it is reset. */
const JOURNAL_SIZE_LIMIT = 64 * 1024 * 1024
const STOP_WAIT_MS = 2_000
/**
 * The serving connection still checkpoints, but only past this many pages (16 MiB), and finds
 * nearly every frame already copied by the worker. It must: a checkpoint on another connection
 * can never reset the log while commits keep arriving (there is always a frame newer than what it
 * copied), so without it the log grows without bound (15 GB in ten minutes of the soak). A
 * checkpoint in the writer's own connection runs between two commits, completes, and the next
 * commit starts the log again from the beginning.
 */
export const SERVING_AUTOCHECKPOINT_PAGES = 4_000

/*
 * The worker is a few lines of CommonJS run with `eval`, so it works the same from the sources
 * (tests) and from the build; better-sqlite3 is resolved here and handed over by path.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const Database = require(workerData.driver)
const db = new Database(workerData.file, { fileMustExist: true })
db.pragma('busy_timeout = 5000')
const timer = setInterval(() => {
  try { db.pragma('wal_checkpoint(PASSIVE)') } catch (error) { parentPort.postMessage({ error: String(error && error.message || error) }) }
}, workerData.everyMs)
parentPort.on('message', () => { clearInterval(timer); db.close(); parentPort.close() })
`

export interface Checkpointer {
  stop(): Promise<void>
}

/**
 * Checkpoints run on a connection of their own in a worker thread, because copying the log into
 * the database file on the serving connection would stall every request for as long as the disk
 * takes. The serving connection checkpoints rarely (SERVING_AUTOCHECKPOINT_PAGES), to restart the
 * log, and then has little left to copy; if the worker fails, it checkpoints as SQLite always does.
 */
export function startSqliteCheckpointer(sqlite: SqliteDatabase.Database, file: string, everyMs = CHECKPOINT_EVERY_MS): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3')
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file, driver, everyMs } })
  worker.unref()
  const inline = (): void => {
    if (sqlite.open) sqlite.pragma('wal_autocheckpoint = 1000')
  }
  sqlite.pragma(`journal_size_limit = ${JOURNAL_SIZE_LIMIT}`)
  sqlite.pragma(`wal_autocheckpoint = ${SERVING_AUTOCHECKPOINT_PAGES}`)
  worker.on('error', inline)
  worker.on('exit', inline)
  worker.on('message', (message: { error?: string }) => {
    if (message.error) inline()
  })
  let stopped: Promise<void> | null = null
  return {
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        worker.off('error', inline)
        worker.off('exit', inline)
        const timer = setTimeout(() => void worker.terminate().then(() => resolve()), STOP_WAIT_MS)
        worker.once('exit', () => {
          clearTimeout(timer)
          resolve()
        })
        worker.postMessage('stop')
      })
      return stopped
    },
  }
}
