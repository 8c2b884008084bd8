import type { Logger } from 'pino'
import { VerityError } from '../errors/verity-error.js'
import type { AppRepository } from '../storage/app-repository.js'
import type { AdminKeyRepository } from '../storage/admin-key-repository.js'
import type { SecuritySettings, SecuritySettingsRepository } from '../storage/security-settings-repository.js'
import type { ConfigChanges } from '../storage/config-change.js'
import type { SignOutRepository } from '../storage/sign-out-repository.js'
import type { SigningKeyRepository } from '../storage/signing-key-repository.js'
import type { ClaimedIdentity } from '../verification/identity.js'
import { userDigest } from '../verification/user-digest.js'
import { AccessTokenKeyring } from '../tokens/access-token-keyring.js'
import { toAppRuntime, type AppRuntime } from './app-runtime.js'
import type { JwksRegistry } from './platform-key-set.js'

/** Past this age without a confirmed refresh, the hot path fails closed (503) rather than trust stale config. */
export const MAX_CONFIG_AGE_MS = 30_000

/**
 * How long a sign-out matters: the longest access-token lifetime (VERITY_TOKEN_TTL at most 24 h)
 * and a margin. Retention deletes older sign-outs; caches forget them.
 */
export const SIGN_OUT_KEPT_MS = 24 * 3_600_000 + 10 * 60_000

export interface ConfigCacheDeps {
  /** Where the configuration revision is read. */
  readonly changes: ConfigChanges
  readonly apps: AppRepository
  readonly signingKeys: SigningKeyRepository
  readonly adminKeys: AdminKeyRepository
  readonly signOuts: SignOutRepository
  /** Owner-wide security settings (two-factor sign-in required); defaults when absent. */
  readonly securitySettings?: SecuritySettingsRepository
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
  /** App id → user digest → epoch ms before which that user's tokens are refused. */
  #signOuts = new Map<string, Map<string, number>>()
  #security: SecuritySettings = { requireTotp: false }
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

  /**
   * When the user was last signed out of this app everywhere (epoch ms), or undefined. Digests are
   * computed only for apps that have a sign-out, so other apps' messenger calls pay nothing.
   */
  signedOutBefore(appId: string, identity: ClaimedIdentity): number | undefined {
    const users = this.#signOuts.get(appId)
    return users === undefined ? undefined : users.get(userDigest(identity))
  }

  /** The actor name for an admin key digest, or undefined. */
  adminActor(keyHash: string): string | undefined {
    return this.#adminKeys.get(keyHash)
  }

  get security(): SecuritySettings {
    return this.#security
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
    const { changes, apps, logger } = this.#deps
    const revision = await changes.revision()
    if (revision !== this.#revision) {
      const changed = await apps.changedSince(this.#revision)
      const next = new Map(this.#apps)
      for (const app of changed) {
        next.set(app.id, toAppRuntime(app, (secretId) => logger.error({ appId: app.id, secretId }, 'a stored secret or public key cannot be read; it is ignored'), this.#deps.jwks))
      }
      // Deleted apps: their tokens stop as soon as the app is gone from here.
      const existing = new Set(await apps.ids())
      for (const id of next.keys()) if (!existing.has(id)) next.delete(id)
      const signOuts = await this.#loadSignOuts(existing, startedAt)
      if (changed.some((app) => app.publicKeys.length > 0) || this.#hadJwks) this.#retainJwks(next)
      const [keyring, adminKeys, security] = await Promise.all([this.#loadKeyring(), this.#loadAdminKeys(), this.#deps.securitySettings?.get()])
      this.#apps = next
      this.#signOuts = signOuts
      if (security) this.#security = security
      this.#keyring = keyring
      this.#adminKeys = adminKeys
      this.#revision = revision
      this.#deps.onChange?.()
    }
    this.#confirmedAt = startedAt
  }

  /**
   * The sign-outs changed since the last load, over the ones known. A sign-out older than the
   * longest token lifetime ends nothing any more: it is forgotten here, as retention deletes it.
   */
  async #loadSignOuts(existingApps: ReadonlySet<string>, now: number): Promise<Map<string, Map<string, number>>> {
    const next = new Map<string, Map<string, number>>()
    const horizon = now - SIGN_OUT_KEPT_MS
    for (const [appId, users] of this.#signOuts) if (existingApps.has(appId)) next.set(appId, new Map(users))
    for (const row of await this.#deps.signOuts.changedSince(this.#revision)) {
      let users = next.get(row.appId)
      if (!users) next.set(row.appId, (users = new Map()))
      users.set(row.userKey, Date.parse(row.signedOutBefore))
    }
    for (const [appId, users] of next) {
      for (const [key, before] of users) if (before < horizon) users.delete(key)
      if (users.size === 0) next.delete(appId)
    }
    return next
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
    const env = this.#deps.bootstrapAdminKeyHash
    // `verity admin-key rotate|disable` retires it by digest: refused from the next revision on.
    if (env && !(await this.#deps.adminKeys.isRetired(env))) map.set(env, 'admin_key:env')
    return map
  }
}
