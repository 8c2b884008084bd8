import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { Command } from 'commander'
import { parseStorageConfig, type StorageConfig } from '../../config/server-config.js'
import { MASTER_KEY_FILE } from '../../crypto/master-key.js'
import { openVerityData } from '../../runtime/open-verity-data.js'
import { backupSqlite, BackupError, inspectBackup, installSqliteBackup, type TableCounts } from '../../storage/sqlite-backup.js'
import { CliExit, EXIT, printJson, usageError, type CliIo } from '../cli-io.js'
import type { DataOptions } from '../with-data.js'
import { withDataOptions } from './data-options.js'

const POSTGRES_BACKUP =
  'A PostgreSQL database is backed up with PostgreSQL\'s own tools: pg_dump --format=custom --file verity.dump "$DATABASE_URL", ' +
  'and restored into an empty database with pg_restore --no-owner --dbname "$NEW_DATABASE_URL" verity.dump (docs/operations.md).'

function failed(error: unknown): never {
  if (error instanceof BackupError) throw new CliExit(EXIT.failure, 'invalid_request', error.message)
  throw error
}

function describeCounts(tables: TableCounts): string {
  return Object.entries(tables)
    .filter(([, rows]) => rows > 0)
    .map(([table, rows]) => `  ${table}: ${rows}\n`)
    .join('')
}

function sqliteOnly(config: StorageConfig): void {
  if (config.databaseUrl) throw new CliExit(EXIT.usage, 'invalid_request', POSTGRES_BACKUP)
}

export function backupCommand(io: CliIo): Command {
  return withDataOptions(
    new Command('backup')
      .description('write a consistent copy of the SQLite database while the server runs (PostgreSQL: use pg_dump)')
      .requiredOption('--to <file>', 'the backup file to create (never overwritten)'),
  ).action((opts: DataOptions & { to: string; json?: boolean }) => {
    const config = parseStorageConfig(opts, io.env, io.cwd)
    sqliteOnly(config)
    const file = resolve(io.cwd, opts.to)
    let result: ReturnType<typeof backupSqlite>
    try {
      result = backupSqlite(config.dataDir, file)
    } catch (error) {
      failed(error)
    }
    const keyNote = config.masterKey
      ? 'The master key (VERITY_MASTER_KEY) is not in the backup: keep it with your secrets.'
      : `The master key is not in the backup: keep a copy of ${join(config.dataDir, MASTER_KEY_FILE)} apart from it.`
    if (opts.json) return printJson(io, { backup: { file, bytes: result.bytes, tables: result.tables } })
    io.stdout(`Backed up to ${file} (${result.bytes} bytes):\n${describeCounts(result.tables)}${keyNote}\n`)
  })
}

export function restoreCommand(io: CliIo): Command {
  return withDataOptions(
    new Command('restore')
      .description('restore a backup into an empty data folder (SQLite), then check that the master key opens it')
      .requiredOption('--from <file>', 'the backup file')
      .option('--master-key-file <file>', 'the master.key saved with the backup (or set VERITY_MASTER_KEY)'),
  ).action(async (opts: DataOptions & { from: string; masterKeyFile?: string; json?: boolean }) => {
    const config = parseStorageConfig(opts, io.env, io.cwd)
    sqliteOnly(config)
    const file = resolve(io.cwd, opts.from)
    if (!config.masterKey && !opts.masterKeyFile) {
      throw usageError('restore needs the master key the backup was made with: --master-key-file <file> or VERITY_MASTER_KEY.')
    }
    if (existsSync(config.dataDir) && readdirSync(config.dataDir).length > 0) {
      throw usageError(`${config.dataDir} is not empty; restore into a new data folder (--data-dir or VERITY_DATA_DIR).`)
    }
    let tables: TableCounts
    try {
      tables = inspectBackup(file)
    } catch (error) {
      failed(error)
    }
    const keyText = opts.masterKeyFile ? readKeyFile(resolve(io.cwd, opts.masterKeyFile)) : null
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 })
    try {
      installSqliteBackup(file, config.dataDir)
      if (keyText !== null) copyKey(resolve(io.cwd, opts.masterKeyFile!), config.dataDir)
      // Opening proves the key decrypts the secrets, and migrates a backup from an older version.
      const data = await openVerityData(keyText !== null ? { ...config, masterKey: Buffer.from(keyText, 'hex') } : config)
      await data.close()
    } catch (error) {
      // A half-restored folder would look like data; leave it empty as it was.
      for (const name of readdirSync(config.dataDir)) rmSync(join(config.dataDir, name), { recursive: true, force: true })
      throw error
    }
    if (opts.json) return printJson(io, { restored: { data_dir: config.dataDir, tables } })
    io.stdout(`Restored ${file} into ${config.dataDir}:\n${describeCounts(tables)}Start Verity on it with --data-dir ${config.dataDir}.\n`)
  })
}

function readKeyFile(path: string): string {
  let text: string
  try {
    text = readFileSync(path, 'utf8').trim()
  } catch (error) {
    throw usageError(`Cannot read the master key file ${path}: ${(error as Error).message}`)
  }
  if (!/^[0-9a-fA-F]{64}$/.test(text)) throw usageError(`${path} is not a master key file: it must hold 64 hex characters.`)
  return text
}

function copyKey(path: string, dataDir: string): void {
  const target = join(dataDir, MASTER_KEY_FILE)
  copyFileSync(path, target)
  // The server refuses a key file that others can read, whatever mode the copy came with.
  chmodSync(target, 0o600)
}
