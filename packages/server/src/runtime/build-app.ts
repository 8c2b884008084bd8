import type { Logger } from 'pino'
import type { ServerConfig } from '../config/server-config.js'
import { ConfigCache } from '../config-cache/config-cache.js'
import { PostgresChangeListener } from '../config-cache/postgres-change-listener.js'
import { countAuthResults, metricsRoutes } from '../http/metrics/metrics-routes.js'
import { VerityMetrics } from '../http/metrics/verity-metrics.js'
import { MESSAGES_CHANNEL, PROFILES_CHANNEL } from '../storage/notify.js'
import { ProfileCache } from '../services/profile-cache.js'
import { createRequestHandler } from '../http/handle-request.js'
import { StaticSite } from '../http/static-site.js'
import { buildOpenApiDocument } from '../http/openapi.js'
import { Router } from '../http/router.js'
import type { Reply, Route } from '../http/route.js'
import { adminAppRoutes } from '../http/routes/admin-app-routes.js'
import { adminPublicKeyRoutes } from '../http/routes/admin-public-key-routes.js'
import { PublicKeys } from '../services/public-keys.js'
import { adminWebhookRoutes } from '../http/routes/admin-webhook-routes.js'
import { Webhooks } from '../services/webhooks.js'
import { QueuedWebhookEvents } from '../webhooks/webhook-events.js'
import { WebhookWorker } from '../webhooks/webhook-worker.js'
import { Alerts } from '../services/alerts.js'
import { AlertRepository } from '../storage/alert-repository.js'
import { adminAlertRoutes } from '../http/routes/admin-alert-routes.js'
import { adminRolloutRoutes } from '../http/routes/admin-rollout-routes.js'
import { adminProofTestRoutes } from '../http/routes/admin-proof-test-routes.js'
import { ProofTester } from '../services/proof-tester.js'
import { RolloutReports } from '../services/rollout-reports.js'
import { RetentionRepository } from '../storage/retention-prune.js'
import { StatisticsRepository } from '../storage/statistics-repository.js'
import { RowFeed } from '../live/row-feed.js'
import { AdminEventStreams } from '../live/admin-event-streams.js'
import { adminEventSource, alertEvent, failureEvent, messageEvent } from '../live/admin-event-frames.js'
import { adminEventRoutes } from '../http/routes/admin-event-routes.js'
import { adminRotateAndRevokeRoutes } from '../http/routes/admin-rotate-and-revoke-routes.js'
import { currentRolesOf } from '../http/admin-stream-holder.js'
import { AuditLog } from '../services/audit-log.js'
import { FailureLog } from '../services/failure-log.js'
import { adminUserRoutes } from '../http/routes/admin-user-routes.js'
import { RetentionPruner } from '../services/retention.js'
import { UserLifecycle } from '../services/user-lifecycle.js'
import { healthRoutes } from '../http/routes/health-routes.js'
import { messengerAuthRoutes } from '../http/routes/messenger-auth-routes.js'
import { adminConversationRoutes } from '../http/routes/admin-conversation-routes.js'
import { messengerConversationRoutes } from '../http/routes/messenger-conversation-routes.js'
import { messengerEventRoutes } from '../http/routes/messenger-event-routes.js'
import { messengerProfileRoutes } from '../http/routes/messenger-profile-routes.js'
import { isSessionCurrent } from '../http/authenticate.js'
import { EventStreams } from '../live/event-streams.js'
import { MessageFeed } from '../live/message-feed.js'
import { Conversations } from '../services/conversations.js'
import { UserProfiles } from '../services/user-profiles.js'
import { ConversationRepository } from '../storage/conversation-repository.js'
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
import { VERSION } from './version.js'
import { TrustedProxies } from '../network/client-address.js'
import { adminSessionRoutes } from '../http/routes/admin-session-routes.js'
import { adminTeammateRoutes } from '../http/routes/admin-teammate-routes.js'
import { adminSecurityRoutes } from '../http/routes/admin-security-routes.js'
import { openTeammateAccounts } from './open-teammate-accounts.js'

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
  /** Webhook delivery timing and bounds; tests shorten the retry schedule instead of sleeping. */
  /** The built dashboard served at `/`; packages/dashboard/dist by default, null for none. */
  readonly dashboardFolder?: string | null
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
    onChange: async () => {
      await cache.refresh()
      await options.onConfigChange?.()
    },
  })

  const conversationRepository = new ConversationRepository(data.db)
  // One poll loop per process feeds every live stream, on SQLite and PostgreSQL alike; on
  // PostgreSQL a message written by another instance also wakes it at once (NOTIFY).
  const feed = new MessageFeed({ source: conversationRepository, logger, beforeDelivery: () => cache.refresh() })
  listener?.subscribe(MESSAGES_CHANNEL, () => feed.wake())
  const conversations = new Conversations({
    repo: conversationRepository,
    feed,
    appExists: (appId) => cache.app(appId) !== undefined,
    names: (appId, userKeys) => profiles.names(appId, userKeys),
  })
  const eventStreams = new EventStreams({
    feed,
    replay: (space, afterId, limit) => conversationRepository.messagesInSpaceAfter(space, afterId, limit),
    isSessionValid: (session) => isSessionCurrent(session, cache),
    logger,
    limits: { perSession: config.limits.streamsPerSession, perClient: config.limits.streamsPerClient },
  })

  const guesses = new GuessGuard(new RateWindow({ rate: limits.adminGuessRate }))
  const accounts = openTeammateAccounts(data, config.teammates)
  // Failures and alerts are rows in shared tables: polling them reaches every instance's writes,
  // on PostgreSQL as on SQLite, the same way messages do.
  const failureFeed = new RowFeed({ name: 'failure', prefix: 'fail', idOf: (row) => row.id, source: data.failures, logger })
  const alertFeed = new RowFeed({ name: 'alert', prefix: 'alrt', idOf: (row) => row.id, source: alertRepository, logger })
  const adminStreams = new AdminEventStreams({
    sources: [adminEventSource(feed, messageEvent), adminEventSource(failureFeed, failureEvent), adminEventSource(alertFeed, alertEvent)],
    currentRoles: (keys) => currentRolesOf(keys, { sessions: accounts.sessions, tokens: accounts.tokens, adminKeyWorks: (hash) => cache.adminActor(hash) !== undefined }),
    logger,
    limits: { perClient: config.limits.streamsPerClient },
  })
  onConfigApplied = () => {
    eventStreams.sweep()
    void adminStreams.sweep()
  }

  let openApi: unknown = null
  const routes: Route[] = [
    ...healthRoutes({ isReady: () => !app.shuttingDown && cache.isReady(), openApiDocument: () => (openApi ??= buildOpenApiDocument(routes, VERSION)) }),
    ...messengerAuthRoutes(auth, countAuthResults(metrics)),
    ...metricsRoutes(metrics, config.metricsToken),
    ...adminAppRoutes(admin, new AuditLog(data.audit)),
    ...adminRotateAndRevokeRoutes(admin),
    ...adminPublicKeyRoutes(publicKeys),
    ...adminWebhookRoutes(webhooks),
    ...adminAlertRoutes(alerts),
    ...adminProofTestRoutes(new ProofTester({ cache, budgetFor: (appId) => budget.forApp(appId) })),
    ...messengerProfileRoutes(profiles),
    ...messengerConversationRoutes(conversations, new RateWindow({ rate: limits.sessionWriteRate })),
    ...messengerEventRoutes(eventStreams),
    ...adminEventRoutes(adminStreams),
    ...adminConversationRoutes(conversations),
    ...adminRolloutRoutes(new RolloutReports({ statistics, apps: data.apps }), new FailureLog(data.failures)),
    ...adminUserRoutes(userLifecycle),
    ...adminSessionRoutes(accounts.sessions, guesses, { maxAgeSeconds: config.teammates.sessionMaxDays * 86_400, publicUrl: config.teammates.publicUrl }, logger),
    ...adminTeammateRoutes({ ...accounts, guesses, publicUrl: () => config.teammates.publicUrl ?? app.listeningUrl }),
    ...adminSecurityRoutes({
      current: () => cache.security,
      setRequireTotp: async (value, actor) => {
        await data.securitySettings.setRequireTotp(value, { actor }, new Date())
        await cache.refresh()
        await options.onConfigChange?.()
      },
    }),
  ]
  metrics.attach({
    isKnownApp: (appId) => cache.app(appId) !== undefined,
    ready: () => !app.shuttingDown && cache.isReady(),
    config: cache,
    statistics: events,
    listener,
    pool: data.poolStats ?? null,
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
