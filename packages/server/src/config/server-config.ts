import { resolve } from 'node:path'
import { ConfigError } from '../errors/config-error.js'

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'

/** Settings shared by `serve` and by every CLI command that reads or changes data. */
export interface StorageConfig {
  readonly dataDir: string
  /** PostgreSQL connection string; SQLite in dataDir when absent. */
  readonly databaseUrl: string | null
  /** 32 bytes, or null to use (or create) the key file in dataDir. */
  readonly masterKey: Buffer | null
}

export interface ServerConfig extends StorageConfig {
  readonly port: number
  readonly host: string
  readonly adminKey: string | null
  readonly tokenTtlSeconds: number
  readonly failureLimit: number
  readonly logLevel: LogLevel
  readonly workers: number
}

/** Values from command-line flags; undefined means "not given", so the environment decides. */
export interface ConfigFlags {
  port?: string
  host?: string
  dataDir?: string
  databaseUrl?: string
  tokenTtl?: string
  logLevel?: string
  workers?: string
}

type Env = Readonly<Record<string, string | undefined>>

interface Source {
  value: string
  /** How a person sets it, for error messages: "--port or PORT". */
  origin: string
}

function pick(flag: string | undefined, flagName: string | null, env: Env, envName: string): Source | null {
  if (flag !== undefined) return { value: flag, origin: `${flagName} (command line)` }
  const fromEnv = env[envName]
  if (fromEnv !== undefined && fromEnv !== '') return { value: fromEnv, origin: `${envName} (environment)` }
  return null
}

function fail(setting: string, flagName: string | null, envName: string, problem: string): never {
  const how = flagName ? `${flagName} or ${envName}` : envName
  throw new ConfigError(`Invalid ${setting}: ${problem}. Set ${how}.`)
}

function integer(src: Source | null, fallback: number, min: number, max: number, setting: string, flagName: string | null, envName: string): number {
  if (!src) return fallback
  if (!/^\d+$/.test(src.value)) fail(setting, flagName, envName, `"${src.value}" from ${src.origin} is not a whole number`)
  const n = Number(src.value)
  if (n < min || n > max) fail(setting, flagName, envName, `${n} from ${src.origin} is outside ${min}–${max}`)
  return n
}

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

export function parseStorageConfig(flags: ConfigFlags, env: Env, cwd = process.cwd()): StorageConfig {
  const dataDir = resolve(cwd, pick(flags.dataDir, '--data-dir', env, 'VERITY_DATA_DIR')?.value ?? './verity-data')
  const dbSrc = pick(flags.databaseUrl, '--database-url', env, 'DATABASE_URL')
  if (dbSrc && !/^postgres(ql)?:\/\//.test(dbSrc.value)) {
    fail('database URL', '--database-url', 'DATABASE_URL', `the value from ${dbSrc.origin} must start with postgres:// or postgresql://`)
  }
  const keySrc = pick(undefined, null, env, 'VERITY_MASTER_KEY')
  let masterKey: Buffer | null = null
  if (keySrc) {
    if (!/^[0-9a-fA-F]{64}$/.test(keySrc.value)) {
      fail('master key', null, 'VERITY_MASTER_KEY', 'it must be 64 hex characters (32 bytes); make one with `openssl rand -hex 32`')
    }
    masterKey = Buffer.from(keySrc.value, 'hex')
  }
  return Object.freeze({ dataDir, databaseUrl: dbSrc?.value ?? null, masterKey })
}

/** Parses and validates every setting once; the result is frozen and passed explicitly. */
export function parseServerConfig(flags: ConfigFlags, env: Env, cwd = process.cwd()): ServerConfig {
  const storage = parseStorageConfig(flags, env, cwd)
  const port = integer(pick(flags.port, '--port', env, 'PORT'), 8080, 0, 65535, 'port', '--port', 'PORT')
  const host = pick(flags.host, '--host', env, 'HOST')?.value ?? '127.0.0.1'
  const adminSrc = pick(undefined, null, env, 'VERITY_ADMIN_KEY')
  if (adminSrc && adminSrc.value.length < 32) {
    fail('admin key', null, 'VERITY_ADMIN_KEY', `it must be at least 32 characters (it has ${adminSrc.value.length}); make one with \`openssl rand -hex 32\``)
  }
  const tokenTtlSeconds = integer(pick(flags.tokenTtl, '--token-ttl', env, 'VERITY_TOKEN_TTL'), 900, 60, 86_400, 'access-token lifetime (seconds)', '--token-ttl', 'VERITY_TOKEN_TTL')
  const failureLimit = integer(pick(undefined, null, env, 'VERITY_FAILURE_LIMIT'), 10, 1, 1_000_000, 'failure limit', null, 'VERITY_FAILURE_LIMIT')
  const levelSrc = pick(flags.logLevel, '--log-level', env, 'LOG_LEVEL')
  if (levelSrc && !LOG_LEVELS.includes(levelSrc.value as LogLevel)) {
    fail('log level', '--log-level', 'LOG_LEVEL', `"${levelSrc.value}" from ${levelSrc.origin} is not one of ${LOG_LEVELS.join(', ')}`)
  }
  const workers = integer(pick(flags.workers, '--workers', env, 'VERITY_WORKERS'), 1, 1, 64, 'number of workers', '--workers', 'VERITY_WORKERS')
  return Object.freeze({
    ...storage,
    port,
    host,
    adminKey: adminSrc?.value ?? null,
    tokenTtlSeconds,
    failureLimit,
    logLevel: (levelSrc?.value as LogLevel | undefined) ?? 'info',
    workers,
  })
}
