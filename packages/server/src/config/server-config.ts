import { resolve } from 'node:path'
import { ConfigError } from '../errors/config-error.js'
import { TrustedProxies } from '../network/client-address.js'

/** How hard SQLite syncs an ordinary commit (VERITY_SQLITE_SYNCHRONOUS). */
export type SqliteSynchronous = 'normal' | 'full'

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'

/** Settings shared by `serve` and by every CLI command that reads or changes data. */
export interface StorageConfig {
  readonly dataDir: string
  /** PostgreSQL connection string; SQLite in dataDir when absent. */
  readonly databaseUrl: string | null
  /** 32 bytes, or null to use (or create) the key file in dataDir. */
  readonly masterKey: Buffer | null
  /** PostgreSQL only: connections this process may hold (VERITY_DB_POOL_MAX). */
  readonly dbPoolMax: number
  /** PostgreSQL only: how long to wait for a connection before a request fails with 503 (VERITY_DB_CONNECT_TIMEOUT_MS). */
  readonly dbConnectTimeoutMs: number
  /** PostgreSQL only: the server cancels a statement after this long (VERITY_DB_STATEMENT_TIMEOUT_MS). */
  readonly dbStatementTimeoutMs: number
  /**
   * SQLite only: `normal` syncs configuration writes and leaves ordinary commits (messages,
   * statistics) to the next checkpoint; `full` syncs every commit (VERITY_SQLITE_SYNCHRONOUS).
   */
  readonly sqliteSynchronous: SqliteSynchronous
}

/** What anyone can do without a proof is bounded (API.md, "Abuse limits"); each bound is a setting. */
export interface AbuseLimits {
  /** Addresses or CIDR ranges whose X-Forwarded-For is believed (VERITY_TRUSTED_PROXIES). */
  readonly trustedProxies: readonly string[]
  /** Live streams one access token may hold open (VERITY_STREAMS_PER_SESSION). */
  readonly streamsPerSession: number
  /** Live streams one client address may hold open (VERITY_STREAMS_PER_CLIENT). */
  readonly streamsPerClient: number
  /** Sessions without a proof (anonymous or unverified) one client address may start a minute (VERITY_CLIENT_SESSION_RATE). */
  readonly clientSessionRate: number
  /** Conversations and messages one messenger session may write a minute (VERITY_SESSION_WRITE_RATE). */
  readonly sessionWriteRate: number
  /** Admin key, API token and sign-in guesses one client address may make a minute (VERITY_ADMIN_GUESS_RATE). */
  readonly adminGuessRate: number
}

/** Teammate accounts and their sign-in (API.md, "Teammate accounts"). */
export interface TeammateSettings {
  /** Where people reach this Verity, for invite links (--public-url, VERITY_PUBLIC_URL). */
  readonly publicUrl: string | null
  /** A dashboard session ends after this long unused (VERITY_SESSION_IDLE_HOURS). */
  readonly sessionIdleHours: number
  /** ...and this long after sign-in, used or not (VERITY_SESSION_MAX_DAYS). */
  readonly sessionMaxDays: number
  /** Password hashes computed at once, 128 MiB each (VERITY_SIGN_IN_CONCURRENCY). */
  readonly signInConcurrency: number
  /** log2 of scrypt's N: 17 (OWASP); VERITY_SCRYPT_LOG_N exists for tests, which lower it. */
  readonly scryptLogN: number
}

export interface ServerConfig extends StorageConfig {
  readonly port: number
  readonly host: string
  readonly adminKey: string | null
  readonly tokenTtlSeconds: number
  readonly failureLimit: number
  /** Failures and rollout statistics older than this many days are deleted in the background (VERITY_RETENTION_DAYS). */
  readonly retentionDays: number
  readonly logLevel: LogLevel
  readonly workers: number
  /**
   * How long the in-memory configuration may go unconfirmed before auth fails closed (503).
   * 30 s (the contract); VERITY_CONFIG_MAX_AGE_MS may only lower it, and exists for tests.
   */
  readonly configMaxAgeMs: number
  /** When set, GET /metrics needs `Authorization: Bearer <this>` (VERITY_METRICS_TOKEN). */
  readonly metricsToken: string | null
  readonly limits: AbuseLimits
  readonly teammates: TeammateSettings
  /** VERITY_JWKS_ALLOW_HTTP=1: JWKS URLs may be http:// and reach any address (development only). */
  readonly jwksAllowHttp: boolean
  /** Development: webhooks may use http and reach loopback or private addresses (VERITY_WEBHOOKS_ALLOW_HTTP=1). */
  readonly webhooksAllowHttp: boolean
  /** Alerts: the fewest invalid proofs on one platform within 5 minutes that make a spike (VERITY_SPIKE_MIN). */
  readonly spikeMin: number
  /** Alerts: distinct users one device or address may prove within 10 minutes before secret.exposed; 0 is off (VERITY_LEAK_USERS). */
  readonly leakUsers: number
  /** Verified users' profiles kept in memory for GET /v1/messenger/me; 0 keeps none (VERITY_PROFILE_CACHE_SIZE). */
  readonly profileCacheSize: number
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
  retentionDays?: string
  publicUrl?: string
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
  const dbPoolMax = integer(pick(undefined, null, env, 'VERITY_DB_POOL_MAX'), 10, 1, 1000, 'database pool size', null, 'VERITY_DB_POOL_MAX')
  const dbConnectTimeoutMs = integer(pick(undefined, null, env, 'VERITY_DB_CONNECT_TIMEOUT_MS'), 5_000, 100, 600_000, 'database connect timeout (ms)', null, 'VERITY_DB_CONNECT_TIMEOUT_MS')
  const dbStatementTimeoutMs = integer(pick(undefined, null, env, 'VERITY_DB_STATEMENT_TIMEOUT_MS'), 10_000, 100, 3_600_000, 'database statement timeout (ms)', null, 'VERITY_DB_STATEMENT_TIMEOUT_MS')
  const syncSrc = pick(undefined, null, env, 'VERITY_SQLITE_SYNCHRONOUS')
  if (syncSrc && syncSrc.value !== 'normal' && syncSrc.value !== 'full') {
    fail('SQLite synchronous setting', null, 'VERITY_SQLITE_SYNCHRONOUS', `"${syncSrc.value}" from ${syncSrc.origin} must be normal or full`)
  }
  const sqliteSynchronous: SqliteSynchronous = syncSrc?.value === 'full' ? 'full' : 'normal'
  return Object.freeze({ dataDir, databaseUrl: dbSrc?.value ?? null, masterKey, dbPoolMax, dbConnectTimeoutMs, dbStatementTimeoutMs, sqliteSynchronous })
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
  const retentionDays = integer(pick(flags.retentionDays, '--retention-days', env, 'VERITY_RETENTION_DAYS'), 90, 1, 36_500, 'retention (days)', '--retention-days', 'VERITY_RETENTION_DAYS')
  const levelSrc = pick(flags.logLevel, '--log-level', env, 'LOG_LEVEL')
  if (levelSrc && !LOG_LEVELS.includes(levelSrc.value as LogLevel)) {
    fail('log level', '--log-level', 'LOG_LEVEL', `"${levelSrc.value}" from ${levelSrc.origin} is not one of ${LOG_LEVELS.join(', ')}`)
  }
  const workers = integer(pick(flags.workers, '--workers', env, 'VERITY_WORKERS'), 1, 1, 64, 'number of workers', '--workers', 'VERITY_WORKERS')
  // Undocumented in --help on purpose: tests lower it to see the fail-closed bound without waiting 30 s.
  const configMaxAgeMs = integer(pick(undefined, null, env, 'VERITY_CONFIG_MAX_AGE_MS'), 30_000, 1_000, 30_000, 'configuration max age (ms)', null, 'VERITY_CONFIG_MAX_AGE_MS')
  const metricsSrc = pick(undefined, null, env, 'VERITY_METRICS_TOKEN')
  if (metricsSrc && metricsSrc.value.length < 16) {
    fail('metrics token', null, 'VERITY_METRICS_TOKEN', `it must be at least 16 characters (it has ${metricsSrc.value.length}); make one with \`openssl rand -hex 16\``)
  }
  const limits = parseAbuseLimits(env)
  const jwksAllowHttp = parseJwksAllowHttp(env)
  const allowHttpSrc = pick(undefined, null, env, 'VERITY_WEBHOOKS_ALLOW_HTTP')
  if (allowHttpSrc && !['0', '1'].includes(allowHttpSrc.value)) {
    fail('webhook development setting', null, 'VERITY_WEBHOOKS_ALLOW_HTTP', `"${allowHttpSrc.value}" from ${allowHttpSrc.origin} must be 1 (allow http and private addresses) or 0`)
  }
  const spikeMin = integer(pick(undefined, null, env, 'VERITY_SPIKE_MIN'), 50, 1, 1_000_000_000, 'failure spike minimum', null, 'VERITY_SPIKE_MIN')
  const leakUsers = integer(pick(undefined, null, env, 'VERITY_LEAK_USERS'), 20, 0, 1_000_000, 'users per device or address before secret.exposed', null, 'VERITY_LEAK_USERS')
  const profileCacheSize = integer(pick(undefined, null, env, 'VERITY_PROFILE_CACHE_SIZE'), 10_000, 0, 10_000_000, 'profile cache size (entries)', null, 'VERITY_PROFILE_CACHE_SIZE')
  return Object.freeze({
    ...storage,
    port,
    host,
    adminKey: adminSrc?.value ?? null,
    tokenTtlSeconds,
    failureLimit,
    retentionDays,
    logLevel: (levelSrc?.value as LogLevel | undefined) ?? 'info',
    workers,
    configMaxAgeMs,
    metricsToken: metricsSrc?.value ?? null,
    limits,
    teammates: parseTeammateSettings(flags, env),
    jwksAllowHttp,
    webhooksAllowHttp: allowHttpSrc?.value === '1',
    spikeMin,
    leakUsers,
    profileCacheSize,
  })
}

/** The public address for invite links: an http(s) URL without a path, query or fragment. */
export function parsePublicUrl(flag: string | undefined, env: Env): string | null {
  const src = pick(flag, '--public-url', env, 'VERITY_PUBLIC_URL')
  if (!src) return null
  let url: URL
  try {
    url = new URL(src.value)
  } catch {
    fail('public URL', '--public-url', 'VERITY_PUBLIC_URL', `"${src.value}" from ${src.origin} is not a URL`)
  }
  if (!/^https?:$/.test(url.protocol) || url.search || url.hash || url.username || url.password) {
    fail('public URL', '--public-url', 'VERITY_PUBLIC_URL', `"${src.value}" from ${src.origin} must be an http(s) address such as https://verity.example.com`)
  }
  return url.href.replace(/\/$/, '')
}

/**
 * Where a link made by the CLI points when no public URL is set: the address `verity serve` listens
 * at with the same HOST and PORT, when that is loopback (a browser on this machine reaches it, as
 * after `npm start`). Any other host may not be how people reach Verity, so it is not guessed.
 */
export function localPublicUrl(env: Env): string | null {
  const port = integer(pick(undefined, null, env, 'PORT'), 8080, 0, 65535, 'port', '--port', 'PORT')
  const host = pick(undefined, null, env, 'HOST')?.value ?? '127.0.0.1'
  if (port === 0) return null
  if (/^127(\.\d{1,3}){3}$/.test(host) || host === 'localhost') return `http://${host}:${port}`
  if (host === '::1' || host === '[::1]') return `http://[::1]:${port}`
  return null
}

export function parseTeammateSettings(flags: ConfigFlags, env: Env): TeammateSettings {
  const setting = (envName: string, name: string, fallback: number, min: number, max: number): number =>
    integer(pick(undefined, null, env, envName), fallback, min, max, name, null, envName)
  return Object.freeze({
    publicUrl: parsePublicUrl(flags.publicUrl, env),
    sessionIdleHours: setting('VERITY_SESSION_IDLE_HOURS', 'session idle end (hours)', 12, 1, 24 * 30),
    sessionMaxDays: setting('VERITY_SESSION_MAX_DAYS', 'session absolute end (days)', 7, 1, 365),
    signInConcurrency: setting('VERITY_SIGN_IN_CONCURRENCY', 'password hashes at once', 2, 1, 64),
    scryptLogN: setting('VERITY_SCRYPT_LOG_N', 'scrypt cost (log2 N)', 17, 12, 20),
  })
}

/** VERITY_JWKS_ALLOW_HTTP: 1 or 0 (unset is 0). The CLI reads it too, for `verity keys add --jwks-url`. */
export function parseJwksAllowHttp(env: Env): boolean {
  const src = pick(undefined, null, env, 'VERITY_JWKS_ALLOW_HTTP')
  if (!src) return false
  if (src.value !== '1' && src.value !== '0') fail('JWKS http setting', null, 'VERITY_JWKS_ALLOW_HTTP', `"${src.value}" from ${src.origin} must be 1 (allow http:// and private addresses, for development) or 0`)
  return src.value === '1'
}

function parseAbuseLimits(env: Env): AbuseLimits {
  const setting = (envName: string, name: string, fallback: number, max: number): number =>
    integer(pick(undefined, null, env, envName), fallback, 1, max, name, null, envName)
  const proxiesSrc = pick(undefined, null, env, 'VERITY_TRUSTED_PROXIES')
  const trustedProxies = proxiesSrc ? proxiesSrc.value.split(',').map((s) => s.trim()).filter(Boolean) : []
  try {
    new TrustedProxies(trustedProxies)
  } catch (error) {
    fail('trusted proxies', null, 'VERITY_TRUSTED_PROXIES', `${(error as Error).message} (give addresses or CIDR ranges, comma-separated)`)
  }
  return Object.freeze({
    trustedProxies: Object.freeze(trustedProxies),
    streamsPerSession: setting('VERITY_STREAMS_PER_SESSION', 'live streams per session', 5, 10_000),
    streamsPerClient: setting('VERITY_STREAMS_PER_CLIENT', 'live streams per client address', 200, 1_000_000),
    clientSessionRate: setting('VERITY_CLIENT_SESSION_RATE', 'sessions without proof per client address a minute', 120, 10_000_000),
    sessionWriteRate: setting('VERITY_SESSION_WRITE_RATE', 'messenger writes per session a minute', 30, 1_000_000),
    adminGuessRate: setting('VERITY_ADMIN_GUESS_RATE', 'admin credential guesses per client address a minute', 20, 1_000_000),
  })
}
