import type { Logger } from 'pino'
import type { ServerConfig } from '../config/server-config.js'
import { ConfigCache } from '../config-cache/config-cache.js'
import { PostgresChangeListener } from '../config-cache/postgres-change-listener.js'
import { VerityMetrics } from '../http/metrics/verity-metrics.js'
import { PROFILES_CHANNEL } from '../storage/notify.js'
import { ProfileCache } from '../services/profile-cache.js'
import { createRequestHandler } from '../http/handle-request.js'
import { StaticSite } from '../http/static-site.js'
import { Router } from '../http/router.js'
import type { Reply, Route } from '../http/route.js'
import { PublicKeys } from '../services/public-keys.js'
import { Webhooks } from '../services/webhooks.js'
import { QueuedWebhookEvents } from '../webhooks/webhook-events.js'
import { WebhookWorker } from '../webhooks/webhook-worker.js'
import { Alerts } from '../services/alerts.js'
import { AlertRepository } from '../storage/alert-repository.js'
import { RetentionRepository } from '../storage/retention-prune.js'
import { StatisticsRepository } from '../storage/statistics-repository.js'
import { AdminEventStreams } from '../live/admin-event-streams.js'
import { RetentionPruner } from '../services/retention.js'
import { UserLifecycle } from '../services/user-lifecycle.js'
import { EventStreams } from '../live/event-streams.js'
import { UserProfiles } from '../services/user-profiles.js'
import { UserRepository } from '../storage/user-repository.js'
import { openAppAdmin } from './open-app-admin.js'
import { AuthEventBuffer } from '../services/auth-event-buffer.js'
import { diagnoseFailure } from '../diagnosis/diagnose-failure.js'
import { MessengerAuth } from '../services/messenger-auth.js'
import type { FailureLimit } from '../limits/failure-limit.js'
import { GuessGuard } from '../limits/guess-guard.js'
import { RateWindow } from '../limits/rate-window.js'
import { openFailureLimit } from './open-failure-limit.js'
import { DiagnosisBudget, type DiagnosisBudgetOptions } from '../diagnosis/work-budget.js'
import type { VerityData } from './open-verity-data.js'
import { openConfigCache } from './open-config-cache.js'
import { requestInMemory, type MemoryReply, type MemoryRequest } from '../http/memory-request.js'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { TrustedProxies } from '../network/client-address.js'
import { openTeammateAccounts } from './open-teammate-accounts.js'
import { openLive } from './open-live.js'
import { appRoutes } from './app-routes.js'

export interface StartOptions {
  readonly logger?: Logger
  /** Where the one-time admin key banner goes (stderr by default). */
  readonly announce?: (text: string) => void
  /** How long in-flight requests get on shutdown before their connections are cut. */
  readonly shutdownGraceMs?: number
  /** Overrides the diagnosis budget (tests freeze its clock to make a flood deterministic). */
  readonly diagnosisBudget?: DiagnosisBudgetOptions
  /**
   * The failure limit when there is no PostgreSQL to share it (`serve --workers` on SQLite passes
   * one that asks the primary); a window in this process otherwise.
   */
  readonly failureLimit?: FailureLimit
  /**
   * Runs after a configuration write through this process has been applied here, before the
   * request that made it is answered (`serve --workers` waits for the other workers to apply it).
   */
  readonly onConfigChange?: () => Promise<void>
  /** Sees each route's reply before it is sent (the test suites check replies against the response schemas). */
  readonly onReply?: (route: Route, reply: Reply) => void
  /** How often retention runs (tests shorten it); RETENTION_INTERVAL_MS by default. */
  readonly retentionIntervalMs?: number
  /** The clock of the JWKS cache (tests move it to see an outage over hours without waiting). */
  readonly jwksClock?: () => number
  /** The built dashboard served at `/`; packages/dashboard/dist by default, null for none. */
  readonly dashboardFolder?: string | null
  /** Webhook delivery timing and bounds; tests shorten the retry schedule instead of sleeping. */
  readonly webhooks?: { readonly schedule?: readonly number[]; readonly pollMs?: number; readonly maxPending?: number; readonly retryForMs?: number; readonly timeoutMs?: number }
}

/** Everything a server serves, without a socket: start-server.ts listens with its handler. */
export interface VerityApp {
  /** The Node request handler: the whole pipeline. */
  readonly handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>
  /** One request through the whole pipeline, without a socket (tests). */
  request(method: string, path: string, request?: MemoryRequest): Promise<MemoryReply>
  readonly cache: ConfigCache
  readonly events: AuthEventBuffer
  /** Failure spikes and exposed secrets. */
  readonly alerts: Alerts
  /** The live event streams of this process (Server-Sent Events). */
  readonly eventStreams: EventStreams
  /** Verified users' profiles for GET /v1/messenger/me (its hits and misses show reads saved). */
  readonly profileCache: ProfileCache
  /** Teammates' live event streams (GET /admin/v1/events). */
  readonly adminStreams: AdminEventStreams
  /** Prometheus metrics, as served at /metrics. */
  readonly metrics: VerityMetrics
  /** PostgreSQL only: the LISTEN connection that applies other instances' changes at once. */
  readonly listener: PostgresChangeListener | null
  /** The bound on diagnosis work; its `hmacsComputed` lets tests bound the work without timing it. */
  readonly diagnosisBudget: DiagnosisBudget
  /** Retention in the background (VERITY_RETENTION_DAYS); `runOnce` for tests. */
  readonly retention: RetentionPruner
  /** Delivers queued webhook events from a timer; started once the server listens. */
  readonly webhookWorker: WebhookWorker
  /** Where the app is reachable once it listens (teammate invitations link to it). */
  listeningUrl: string
  /** Set on shutdown: readiness says no from then on. */
  shuttingDown: boolean
  /** Stops the timers and connections the app holds (not the data: its opener closes it). */
  stop(): Promise<void>
}

/**
 * Builds the app over opened data: the configuration cache, the services, the routes and the
 * request handler, with their timers started. No port: `startServer` listens with its handler,
 * tests may call `request`.
 */
export async function buildApp(data: VerityData, config: ServerConfig, options: StartOptions & { readonly logger: Logger }): Promise<VerityApp> {
  const { logger } = options
  const metrics = new VerityMetrics()
  // Set once the live streams exist: a configuration change makes them re-check their tokens at once.
  let onConfigApplied = (): void => {}
  // Set once the listener exists: without it, another process's profile change could go unheard.
  let profileNoticesHeard = (): boolean => true
  // `serve --workers` on SQLite: workers share no channel for profile changes, so none keeps any.
  const profileCache = new ProfileCache({
    maxEntries: data.dialect === 'sqlite' && config.workers > 1 ? 0 : config.profileCacheSize,
    usable: () => profileNoticesHeard(),
  })
  const { cache, listener, jwks, fetchJwks } = await openConfigCache(data, config, {
    logger,
    metrics,
    onApplied: () => {
      // Erasures, sign-outs and app deletions are configuration changes.
      profileCache.clear()
      onConfigApplied()
    },
    // Profile notices sent while the listener was away are lost.
    onListenerConnect: () => profileCache.clear(),
    ...(options.jwksClock && { jwksClock: options.jwksClock }),
  })
  if (listener) {
    listener.subscribe(PROFILES_CHANNEL, (key) => (key ? profileCache.invalidate(key) : profileCache.clear()))
    profileNoticesHeard = () => listener.connected
  }

  const budget = new DiagnosisBudget(options.diagnosisBudget ?? { perAppPerSecond: 5_000, globalPerSecond: 50_000, perDiagnosis: 12_000 })
  const profiles = new UserProfiles(new UserRepository(data.db), undefined, profileCache)
  const webhookEvents = new QueuedWebhookEvents(data.webhooks, options.webhooks?.maxPending)
  const alertRepository = new AlertRepository(data.db)
  const alerts = new Alerts({ repo: alertRepository, webhookEvents, logger, spikeMin: config.spikeMin, leakUsers: config.leakUsers })
  const statistics = new StatisticsRepository(data.db)
  const events = new AuthEventBuffer({
    statistics,
    logger,
    diagnose: (failure) => diagnoseFailure(failure, cache.app(failure.appId), () => cache.apps(), budget.forApp(failure.appId)),
    onFlushError: () => metrics.databaseError('statistics_flush'),
    onFlushed: (diagnosed, now) => alerts.flushed(diagnosed, now),
  })
  events.start()

  let lastLimitWarning = -Infinity
  const failureLimit = openFailureLimit(data, config.failureLimit, {
    given: options.failureLimit,
    onDatabaseError: (error) => {
      metrics.databaseError('failure_limit')
      // Once a minute at most: a flood of refusals while the database is away must not flood the log.
      if (Date.now() - lastLimitWarning < 60_000) return
      lastLimitWarning = Date.now()
      logger.warn({ err: error }, 'the shared failure limit is unreachable; counting in this process until it answers')
    },
  })
  const { limits } = config
  const auth = new MessengerAuth({
    cache,
    failureLimit: failureLimit.failureLimit,
    sessionsPerClient: new RateWindow({ rate: limits.clientSessionRate }),
    deviceIds: data.deviceIds,
    events: alerts.countingSink(events),
    watch: alerts,
    recordSignedAttributes: (appId, identity, attributes, at) => profiles.recordSignedAttributes(appId, identity, attributes, at),
  })
  const webhookWorker = new WebhookWorker({
    repo: data.webhooks,
    logger,
    allowPrivate: config.webhooksAllowHttp,
    onDatabaseError: () => metrics.databaseError('webhooks'),
    ...(options.webhooks?.schedule && { schedule: options.webhooks.schedule }),
    ...(options.webhooks?.pollMs && { pollMs: options.webhooks.pollMs }),
    ...(options.webhooks?.retryForMs && { retryForMs: options.webhooks.retryForMs }),
    ...(options.webhooks?.timeoutMs && { timeoutMs: options.webhooks.timeoutMs }),
  })
  const webhooks = new Webhooks({ changes: data.changes, repo: data.webhooks, events: webhookEvents, allowDevelopment: config.webhooksAllowHttp })
  const applyChange = async (): Promise<void> => {
    await cache.refresh()
    await options.onConfigChange?.()
  }
  // Erasures and deletions find this process's buffered statistics in storage, and sweep again for
  // what other instances write late (services/late-sweep.ts).
  const lifecycle = {
    onChange: applyChange,
    flushStatistics: () => events.flush(),
    lateSweep: 'background' as const,
    onLateSweepError: (error: unknown) => logger.warn({ err: error }, 'the second sweep after an erasure or deletion failed; statistics written late stay until retention'),
  }
  const admin = openAppAdmin(data, { webhookEvents, ...lifecycle })
  const userLifecycle = new UserLifecycle({ changes: data.changes, apps: data.apps, statistics, webhookEvents, ...lifecycle })
  const retention = new RetentionPruner({
    repository: new RetentionRepository(data.db),
    logger,
    retentionDays: config.retentionDays,
    ...(options.retentionIntervalMs !== undefined && { intervalMs: options.retentionIntervalMs }),
  })
  retention.start()

  const publicKeys = new PublicKeys({
    changes: data.changes,
    publicKeys: data.publicKeys,
    apps: data.apps,
    fetchJwks,
    allowHttp: config.jwksAllowHttp,
    jwksStatus: (id) => jwks.get(id)?.status(),
    onJwksFetched: (id, url, fetched) => jwks.seed(id, url, fetched),
    onChange: applyChange,
  })

  const guesses = new GuessGuard(new RateWindow({ rate: limits.adminGuessRate }))
  const accounts = openTeammateAccounts(data, config.teammates)
  const live = openLive({ data, config, cache, listener, profiles, alertRepository, accounts, logger })
  onConfigApplied = () => live.sweep()
  const { eventStreams, adminStreams } = live

  const routes = appRoutes({
    data,
    config,
    cache,
    metrics,
    auth,
    admin,
    publicKeys,
    webhooks,
    alerts,
    budget,
    profiles,
    live,
    statistics,
    userLifecycle,
    accounts,
    guesses,
    logger,
    isReady: () => !app.shuttingDown && cache.isReady(),
    listeningUrl: () => app.listeningUrl,
    applyChange,
  })
  metrics.attach({
    isKnownApp: (appId) => cache.app(appId) !== undefined,
    ready: () => !app.shuttingDown && cache.isReady(),
    config: cache,
    statistics: events,
    listener,
    pool: data.poolStats ?? null,
    storageCallMs: data.longestCallMs ?? null,
    live: eventStreams,
    webhooks: { dropped: () => webhookEvents.dropped, attempts: webhookWorker.outcomes },
    alerts,
  })
  const handler = createRequestHandler({
    router: new Router(routes),
    cache,
    logger,
    metrics,
    trustedProxies: new TrustedProxies(limits.trustedProxies),
    adminAuth: { guesses, tokens: accounts.tokens, sessions: accounts.sessions, publicUrl: config.teammates.publicUrl },
    ...(options.onReply && { onReply: options.onReply }),
    staticSite: options.dashboardFolder === null ? null : StaticSite.load(options.dashboardFolder ?? StaticSite.DEFAULT_FOLDER),
  })

  const app: VerityApp = {
    handler,
    request: (method, path, request) => requestInMemory(handler, method, path, request),
    cache,
    events,
    alerts,
    eventStreams,
    adminStreams,
    profileCache,
    metrics,
    listener,
    diagnosisBudget: budget,
    retention,
    webhookWorker,
    listeningUrl: '',
    shuttingDown: false,
    stop: async () => {
      failureLimit.stop()
      accounts.stop()
      await webhookWorker.stop()
      cache.stop()
      await retention.stop()
      await listener?.stop()
      metrics.stop()
      await events.stop().catch((error: unknown) => logger.error({ err: error }, 'could not write the last statistics'))
      await alerts.settled()
    },
  }
  return app
}
