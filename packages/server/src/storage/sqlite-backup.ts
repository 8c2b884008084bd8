import { chmodSync, closeSync, copyFileSync, existsSync, openSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import SqliteDatabase from 'better-sqlite3'
import { SQLITE_FILE } from './open-database.js'

/** Rows per table: what a backup holds, so a restore can be compared with it. */
export type TableCounts = Record<string, number>

export class BackupError extends Error {}

function countRows(sqlite: SqliteDatabase.Database): TableCounts {
  const tables = sqlite
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'verity_migrations%' ORDER BY name")
    .pluck()
    .all() as string[]
  const counts: TableCounts = {}
  for (const table of tables) counts[table] = sqlite.prepare(`SELECT count(*) FROM "${table.replaceAll('"', '""')}"`).pluck().get() as number
  return counts
}

/**
 * A consistent copy of the SQLite database in `dataDir`, taken while a server writes to it:
 * VACUUM INTO reads one snapshot (WAL readers never block the writer) and writes a compact file.
 * The file is created 0600 first, since it holds the encrypted secrets.
 */
export function backupSqlite(dataDir: string, toFile: string): { bytes: number; tables: TableCounts } {
  const source = join(dataDir, SQLITE_FILE)
  if (!existsSync(source)) throw new BackupError(`There is no Verity database at ${source}.`)
  if (existsSync(toFile)) throw new BackupError(`${toFile} already exists; a backup never overwrites a file.`)
  closeSync(openSync(toFile, 'wx', 0o600))
  const sqlite = new SqliteDatabase(source, { readonly: true, fileMustExist: true })
  try {
    sqlite.pragma('busy_timeout = 5000')
    sqlite.prepare('VACUUM INTO ?').run(toFile)
  } catch (error) {
    rmSync(toFile, { force: true })
    throw error
  } finally {
    sqlite.close()
  }
  return { bytes: statSync(toFile).size, tables: inspectBackup(toFile) }
}

/** Checks that `file` is an intact Verity database and counts its rows. */
export function inspectBackup(file: string): TableCounts {
  if (!existsSync(file)) throw new BackupError(`There is no file ${file}.`)
  let sqlite: SqliteDatabase.Database
  try {
    sqlite = new SqliteDatabase(file, { readonly: true, fileMustExist: true })
  } catch (error) {
    throw new BackupError(`${file} is not a SQLite database: ${(error as Error).message}`)
  }
  try {
    let check: unknown
    try {
      check = sqlite.pragma('integrity_check', { simple: true })
    } catch (error) {
      throw new BackupError(`${file} is not a Verity backup: ${(error as Error).message}`)
    }
    if (check !== 'ok') throw new BackupError(`${file} is damaged: ${String(check)}`)
    const counts = countRows(sqlite)
    if (counts.meta === undefined || counts.apps === undefined) throw new BackupError(`${file} is a SQLite database, but not a Verity backup.`)
    return counts
  } finally {
    sqlite.close()
  }
}

/** Puts a backup in place as the database of `dataDir`, readable by its owner only. */
export function installSqliteBackup(file: string, dataDir: string): void {
  const target = join(dataDir, SQLITE_FILE)
  copyFileSync(file, target)
  chmodSync(target, 0o600)
}
