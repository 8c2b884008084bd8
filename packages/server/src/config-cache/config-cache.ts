import type { Kysely } from 'kysely'
import type { Logger } from 'pino'
import { VerityError } from '../errors/verity-error.js'
import type { AppRepository } from '../storage/app-repository.js'
import type { AdminKeyRepository } from '../storage/admin-key-repository.js'
import { currentRevision } from '../storage/config-change.js'
import type { Database } from '../storage/schema.js'
import type { SigningKeyRepository } from '../storage/signing-key-repository.js'
import { AccessTokenKeyring } from '../tokens/access-token-keyring.js'
import { toAppRuntime, type AppRuntime } from './app-runtime.js'
import type { JwksRegistry } from './platform-key-set.js'

/** Past this age without a confirmed refresh, the hot path fails closed (503) rather than trust stale config. */
export const MAX_CONFIG_AGE_MS = 30_000

export interface ConfigCacheDeps {
  readonly db: Kysely<Database>
  readonly apps: AppRepository
  readonly signingKeys: SigningKeyRepository
  readonly adminKeys: AdminKeyRepository
  readonly tokenTtlSeconds: number
  /** Digest of VERITY_ADMIN_KEY, accepted besides the stored keys. */
  readonly bootstrapAdminKeyHash: string | null
  readonly logger: Logger
  /** Told after a new configuration revision is applied (live streams re-check their tokens). */
  readonly onChange?: () => void
  /** Fail-closed bound; MAX_CONFIG_AGE_MS unless a test lowers it (VERITY_CONFIG_MAX_AGE_MS). */
  readonly maxAgeMs?: number
  /** Told of every failed refresh (metrics). */
  readonly onRefreshError?: (error: unknown) => void
  /** The fetched keys of JWKS URLs, kept across reloads. */
  readonly jwks: JwksRegistry
}

/**
 * The in-memory view of apps, platforms, secrets, signing keys and admin keys that the hot path
 * reads. A write in this process refreshes it at once; other processes' writes arrive through
 * PostgreSQL NOTIFY at once (see postgres-change-listener.ts) and, as the safety net, through the
 * revision poll (every second, so within 2 s).
 */
export class ConfigCache {
  readonly #deps: ConfigCacheDeps
  #apps = new Map<string, AppRuntime>()
  #keyring: AccessTokenKeyring | null = null
  #adminKeys = new Map<string, string>()
  #revision = -1
  #confirmedAt = 0
  #timer: NodeJS.Timeout | null = null
  #queue: Promise<void> = Promise.resolve()
  /** The latest refresh failed: storage cannot be reached (or answers wrongly). */
  #failing = false
  #refreshFailures = 0
  #polling = false
  #nudgeQueued = false
  readonly #maxAgeMs: number

  constructor(deps: ConfigCacheDeps) {
    this.#deps = deps
    this.#maxAgeMs = Math.min(deps.maxAgeMs ?? MAX_CONFIG_AGE_MS, MAX_CONFIG_AGE_MS)
  }

  get maxAgeMs(): number {
    return this.#maxAgeMs
  }

  /** Failed refreshes since start (metrics). */
  get refreshFailures(): number {
    return this.#refreshFailures
  }

  get keyring(): AccessTokenKeyring {
    if (!this.#keyring) throw new TypeError('ConfigCache used before load()')
    return this.#keyring
  }

  get revision(): number {
    return this.#revision
  }

  get appCount(): number {
    return this.#apps.size
  }

  app(appId: string): AppRuntime | undefined {
    return this.#apps.get(appId)
  }

  apps(): IterableIterator<AppRuntime> {
    return this.#apps.values()
  }

  /** The actor name for an admin key digest, or undefined. */
  adminActor(keyHash: string): string | undefined {
    return this.#adminKeys.get(keyHash)
  }

  /** Age of the last confirmed refresh, in ms. */
  ageMs(now: number = Date.now()): number {
    return now - this.#confirmedAt
  }

  /** Auth may serve: the configuration was confirmed within the bound (even if storage is down now). */
  isFresh(now: number = Date.now()): boolean {
    return this.#keyring !== null && this.ageMs(now) <= this.#maxAgeMs
  }

  /**
   * Readiness: fresh, and the latest refresh reached storage. A load balancer stops sending
   * traffic as soon as the database cannot be reached, while auth itself keeps serving from
   * memory until the bound.
   */
  isReady(now: number = Date.now()): boolean {
    return !this.#failing && this.isFresh(now)
  }

  /** Fail closed: never verify against, or sign on, configuration that may be stale. */
  assertFresh(now: number = Date.now()): void {
    if (!this.isFresh(now)) {
      throw new VerityError('unavailable', 'Verity cannot confirm its configuration right now. Retry shortly.', {
        headers: { 'Retry-After': '5' },
      })
    }
  }

  /**
   * Brings the view up to date. Refreshes run one after another, and each starts after its call,
   * so a caller that has just committed a write is sure to see it. Throws when storage fails.
   */
  refresh(): Promise<void> {
    const run = this.#queue.then(() => this.#refresh())
    this.#queue = run.catch(() => {})
    return run
  }

  /**
   * "Something changed" (a NOTIFY): refresh soon. Bursts coalesce into one queued refresh, which
   * starts after the nudge, so it sees the change that caused it. Never throws.
   */
  nudge(): void {
    if (this.#nudgeQueued) return
    this.#nudgeQueued = true
    const run = this.#queue.then(() => {
      this.#nudgeQueued = false
      return this.#refresh()
    })
    this.#queue = run.catch(() => {})
  }

  start(intervalMs = 1000): void {
    this.#timer = setInterval(() => {
      // One poll at a time: a database that hangs must not pile up refreshes.
      if (this.#polling) return
      this.#polling = true
      this.refresh()
        .catch(() => {})
        .finally(() => {
          this.#polling = false
        })
    }, intervalMs)
    this.#timer.unref()
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = null
  }

  async #refresh(): Promise<void> {
    try {
      await this.#load()
    } catch (error) {
      this.#refreshFailures++
      this.#deps.onRefreshError?.(error)
      if (!this.#failing) {
        this.#deps.logger.error({ err: error, ageMs: this.ageMs(), maxAgeMs: this.#maxAgeMs }, 'configuration refresh failed; serving from memory until the configuration is too old')
      } else {
        this.#deps.logger.debug({ err: error, ageMs: this.ageMs() }, 'configuration refresh failed again')
      }
      this.#failing = true
      throw error
    }
    if (this.#failing) this.#deps.logger.info({ revision: this.#revision }, 'configuration refresh works again')
    this.#failing = false
  }

  async #load(): Promise<void> {
    const startedAt = Date.now()
    const { db, apps, logger } = this.#deps
    const revision = await currentRevision(db)
    if (revision !== this.#revision) {
      const changed = await apps.changedSince(this.#revision)
      const next = new Map(this.#apps)
      for (const app of changed) {
        next.set(app.id, toAppRuntime(app, (secretId) => logger.error({ appId: app.id, secretId }, 'a stored secret or public key cannot be read; it is ignored'), this.#deps.jwks))
      }
      if (changed.some((app) => app.publicKeys.length > 0) || this.#hadJwks) this.#retainJwks(next)
      const [keyring, adminKeys] = await Promise.all([this.#loadKeyring(), this.#loadAdminKeys()])
      this.#apps = next
      this.#keyring = keyring
      this.#adminKeys = adminKeys
      this.#revision = revision
      this.#deps.onChange?.()
    }
    this.#confirmedAt = startedAt
  }

  #hadJwks = false

  /** Forgets removed JWKS URLs; walks every platform, but only after a change that touched keys. */
  #retainJwks(apps: Map<string, AppRuntime>): void {
    const ids = new Set<string>()
    for (const app of apps.values()) for (const platform of Object.values(app.platforms)) for (const id of platform.publicKeys.jwksUrlIds()) ids.add(id)
    this.#deps.jwks.retain(ids)
    this.#hadJwks = ids.size > 0
  }

  async #loadKeyring(): Promise<AccessTokenKeyring> {
    const { keys, unreadable } = await this.#deps.signingKeys.all()
    for (const id of unreadable) this.#deps.logger.error({ keyId: id }, 'a signing key does not open with the master key; it is ignored')
    if (keys.length === 0) throw new TypeError('no signing key: the runtime creates one at start-up')
    return new AccessTokenKeyring(keys, this.#deps.tokenTtlSeconds)
  }

  async #loadAdminKeys(): Promise<Map<string, string>> {
    const map = new Map<string, string>()
    for (const key of await this.#deps.adminKeys.all()) map.set(key.keyHash, `admin_key:${key.id}`)
    if (this.#deps.bootstrapAdminKeyHash) map.set(this.#deps.bootstrapAdminKeyHash, 'admin_key:env')
    return map
  }
}
