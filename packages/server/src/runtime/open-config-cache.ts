import type { Logger } from 'pino'
import type { ServerConfig } from '../config/server-config.js'
import { ConfigCache } from '../config-cache/config-cache.js'
import { jwksFetcher, jwksGetOptions, type FetchJwks } from '../config-cache/fetch-jwks.js'
import { JwksRegistry } from '../config-cache/platform-key-set.js'
import { PostgresChangeListener } from '../config-cache/postgres-change-listener.js'
import type { VerityMetrics } from '../http/metrics/verity-metrics.js'
import { hashAdminKey } from '../storage/admin-key-repository.js'
import { CONFIG_CHANNEL } from '../storage/notify.js'
import { SignOutRepository } from '../storage/sign-out-repository.js'
import type { VerityData } from './open-verity-data.js'

export interface OpenedConfigCache {
  readonly cache: ConfigCache
  /** PostgreSQL only: the LISTEN connection that applies other instances' changes at once. */
  readonly listener: PostgresChangeListener | null
  readonly jwks: JwksRegistry
  readonly fetchJwks: FetchJwks
}

/**
 * The in-memory configuration the hot path reads, loaded and kept fresh: by its revision poll, and
 * on PostgreSQL by NOTIFY as well.
 */
export async function openConfigCache(
  data: VerityData,
  config: ServerConfig,
  options: { readonly logger: Logger; readonly metrics: VerityMetrics; readonly onApplied: () => void; readonly onListenerConnect?: () => void; readonly jwksClock?: () => number },
): Promise<OpenedConfigCache> {
  const { logger, metrics } = options
  const fetchJwks = jwksFetcher(jwksGetOptions(config.jwksAllowHttp))
  const jwks = new JwksRegistry({ fetch: fetchJwks, logger, ...(options.jwksClock && { now: options.jwksClock }) })
  const cache = new ConfigCache({
    jwks,
    onChange: options.onApplied,
    maxAgeMs: config.configMaxAgeMs,
    onRefreshError: () => metrics.databaseError('config_refresh'),
    changes: data.changes,
    apps: data.apps,
    signingKeys: data.signingKeys,
    adminKeys: data.adminKeys,
    signOuts: new SignOutRepository(data.db),
    securitySettings: data.securitySettings,
    tokenTtlSeconds: config.tokenTtlSeconds,
    bootstrapAdminKeyHash: config.adminKey ? hashAdminKey(config.adminKey) : null,
    logger,
  })
  await cache.refresh()
  cache.start()
  // PostgreSQL: other instances' configuration writes arrive by NOTIFY at once; the poll above is
  // the safety net while the listening connection is away.
  let listener: PostgresChangeListener | null = null
  if (data.dialect === 'postgres' && config.databaseUrl) {
    listener = new PostgresChangeListener({
      url: config.databaseUrl,
      logger,
      connectTimeoutMs: config.dbConnectTimeoutMs,
      onConnect: () => {
        cache.nudge()
        options.onListenerConnect?.()
      },
      onError: () => metrics.databaseError('listener'),
    })
    listener.subscribe(CONFIG_CHANNEL, () => cache.nudge())
    await listener.start()
  }
  return { cache, listener, jwks, fetchJwks }
}
