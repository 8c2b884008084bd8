import { createServer, type Server } from 'node:http'
import { answerClientError } from '../http/client-error.js'
import type { AddressInfo } from 'node:net'
import type { Logger } from 'pino'
import type { ServerConfig } from '../config/server-config.js'
import { ConfigError } from '../errors/config-error.js'
import { ConfigCache } from '../config-cache/config-cache.js'
import { PostgresChangeListener } from '../config-cache/postgres-change-listener.js'
import { countAuthResults, metricsRoutes } from '../http/metrics/metrics-routes.js'
import { VerityMetrics } from '../http/metrics/verity-metrics.js'
import { CONFIG_CHANNEL, MESSAGES_CHANNEL, PROFILES_CHANNEL } from '../storage/notify.js'
import { ProfileCache } from '../services/profile-cache.js'
import { createLogger } from '../logging/create-logger.js'
import { createRequestHandler } from '../http/handle-request.js'
import { StaticSite } from '../http/static-site.js'
import { buildOpenApiDocument } from '../http/openapi.js'
import { Router } from '../http/router.js'
import type { Reply, Route } from '../http/route.js'
import { adminAppRoutes } from '../http/routes/admin-app-routes.js'
import { adminPublicKeyRoutes } from '../http/routes/admin-public-key-routes.js'
import { jwksFetcher, jwksGetOptions } from '../config-cache/fetch-jwks.js'
import { JwksRegistry } from '../config-cache/platform-key-set.js'
import { PublicKeys } from '../services/public-keys.js'
import { adminWebhookRoutes } from '../http/routes/admin-webhook-routes.js'
import { Webhooks } from '../services/webhooks.js'
import { QueuedWebhookEvents } from '../webhooks/webhook-events.js'
import { WebhookWorker } from '../webhooks/webhook-worker.js'
import { Alerts } from '../services/alerts.js'
import { AlertRepository } from '../storage/alert-repository.js'
import { adminAlertRoutes } from '../http/routes/admin-alert-routes.js'
import { adminRolloutRoutes } from '../http/routes/admin-rollout-routes.js'
import { listFailures } from '../services/failure-log.js'
import { RolloutReports } from '../services/rollout-reports.js'
import { RetentionRepository } from '../storage/retention-prune.js'
import { StatisticsRepository } from '../storage/statistics-repository.js'
import { adminUserRoutes } from '../http/routes/admin-user-routes.js'
import { RetentionPruner } from '../services/retention.js'
import { UserLifecycle } from '../services/user-lifecycle.js'
import { SignOutRepository } from '../storage/sign-out-repository.js'
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
import { hashAdminKey } from '../storage/admin-key-repository.js'
import { AppAdmin } from '../services/app-admin.js'
import { AuthEventBuffer } from '../services/auth-event-buffer.js'
import { diagnoseFailure } from '../diagnosis/diagnose-failure.js'
import { MessengerAuth } from '../services/messenger-auth.js'
import type { FailureLimit } from '../limits/failure-limit.js'
import { GuessGuard } from '../limits/guess-guard.js'
import { RateWindow } from '../limits/rate-window.js'
import { openFailureLimit } from './open-failure-limit.js'
import { DiagnosisBudget, type DiagnosisBudgetOptions } from '../diagnosis/work-budget.js'
import { trackConnections } from './connection-drain.js'
import { openVerityData, type VerityData } from './open-verity-data.js'
import { VERSION } from './version.js'
import { TrustedProxies } from '../network/client-address.js'
import { adminSessionRoutes } from '../http/routes/admin-session-routes.js'
import { adminTeammateRoutes } from '../http/routes/admin-teammate-routes.js'
import { adminSecurityRoutes } from '../http/routes/admin-security-routes.js'
import { openTeammateAccounts } from './open-teammate-accounts.js'

export interface RunningServer {
  readonly url: string
  readonly port: number
  readonly server: Server
  readonly data: VerityData
  readonly cache: ConfigCache
  /** Verified users' profiles for GET /v1/messenger/me (its hits and misses show reads saved). */
  readonly profileCache: ProfileCache
  readonly events: AuthEventBuffer
  /** Failure spikes and exposed secrets. */
  readonly alerts: Alerts
  /** The live event streams of this process (Server-Sent Events). */
  readonly eventStreams: EventStreams
  /** Prometheus metrics, as served at /metrics. */
  readonly metrics: VerityMetrics
  /** PostgreSQL only: the LISTEN connection that applies other instances' changes at once. */
  readonly listener: PostgresChangeListener | null
  /** The bound on diagnosis work; its `hmacsComputed` lets tests bound the work without timing it. */
  readonly diagnosisBudget: DiagnosisBudget
  readonly logger: Logger
  /** Retention in the background (VERITY_RETENTION_DAYS); `runOnce` for tests. */
  readonly retention: RetentionPruner
  /** Delivers queued webhook events from a timer. */
  readonly webhookWorker: WebhookWorker
  /** The admin key made on first start, if this start made one (it is shown once). */
  readonly generatedAdminKey: string | null
  /** Graceful: stop accepting, finish in-flight requests, write buffered statistics, close storage. */
  close(): Promise<void>
}

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

/**
 * Makes the first admin key when none exists and none is configured, and shows it once.
 * `serve --workers` runs it in the primary before forking, so the banner appears once.
 */
export async function ensureAdminKey(data: VerityData, config: ServerConfig, announce: (text: string) => void): Promise<string | null> {
  if (config.adminKey) {
    const keyHash = hashAdminKey(config.adminKey)
    if (await data.adminKeys.isRetired(keyHash)) {
      announce('\nVERITY_ADMIN_KEY was retired by `verity admin-key rotate` or `disable`, and is refused. Remove it from the environment (or set a new one).\n\n')
    } else {
      await data.adminKeys.recordEnvKey(keyHash)
    }
  }
  // Keys retired by `verity admin-key disable` stay so: no new one appears on the next start.
  if (config.adminKey || (await data.adminKeys.all()).length > 0 || (await data.adminKeys.anyRetired())) return null
  const key = (await data.adminKeys.create('bootstrap', 'system', new Date())).key
  announce(
    `\nVerity made an admin key. It is shown this once and stored only as a digest:\n\n    ${key}\n\n` +
      'Use it as "Authorization: Bearer <key>" on /admin/v1. Set VERITY_ADMIN_KEY to choose your own.\n\n',
  )
  return key
}

/** A port that cannot be had is a setting to change: say which, instead of a raw EADDRINUSE. */
function listenError(error: unknown, config: ServerConfig): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  const where = `${config.host}:${config.port}`
  if (code === 'EADDRINUSE') {
    return new ConfigError(`Port ${config.port} is already in use on ${config.host}: another process (perhaps another Verity) listens at ${where}. Choose another port with --port or PORT, or stop that process.`)
  }
  if (code === 'EACCES') {
    return new ConfigError(`Not allowed to listen at ${where} (ports below 1024 need privileges). Choose another port with --port or PORT.`)
  }
  if (code === 'EADDRNOTAVAIL') {
    return new ConfigError(`Cannot listen at ${where}: this machine has no address ${config.host}. Choose another with --host or HOST.`)
  }
  return error
}

export async function startServer(config: ServerConfig, options: StartOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? createLogger(config.logLevel)
  const data = await openVerityData(config)
  const announce = options.announce ?? ((text: string) => process.stderr.write(text))

  const generatedAdminKey = await ensureAdminKey(data, config, announce)

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
  const fetchJwks = jwksFetcher(jwksGetOptions(config.jwksAllowHttp))
  const jwks = new JwksRegistry({ fetch: fetchJwks, logger, ...(options.jwksClock && { now: options.jwksClock }) })
  const cache = new ConfigCache({
    jwks,
    onChange: () => {
      // Erasures, sign-outs and app deletions are configuration changes.
      profileCache.clear()
      onConfigApplied()
    },
    maxAgeMs: config.configMaxAgeMs,
    onRefreshError: () => metrics.databaseError('config_refresh'),
    db: data.db,
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
        // Profile notices sent while the listener was away are lost.
        profileCache.clear()
      },
      onError: () => metrics.databaseError('listener'),
    })
    listener.subscribe(CONFIG_CHANNEL, () => cache.nudge())
    listener.subscribe(PROFILES_CHANNEL, (key) => (key ? profileCache.invalidate(key) : profileCache.clear()))
    const heard = listener
    profileNoticesHeard = () => heard.connected
    await listener.start()
  }

  const budget = new DiagnosisBudget(options.diagnosisBudget ?? { perAppPerSecond: 5_000, globalPerSecond: 50_000, perDiagnosis: 12_000 })
  const profiles = new UserProfiles(new UserRepository(data.db), undefined, profileCache)
  const webhookEvents = new QueuedWebhookEvents(data.webhooks, options.webhooks?.maxPending)
  const alerts = new Alerts({ repo: new AlertRepository(data.db), webhookEvents, logger, spikeMin: config.spikeMin, leakUsers: config.leakUsers })
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
  const webhooks = new Webhooks({ db: data.db, repo: data.webhooks, events: webhookEvents, allowDevelopment: config.webhooksAllowHttp })
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
  const admin = new AppAdmin({ db: data.db, apps: data.apps, webhookEvents, ...lifecycle })
  const userLifecycle = new UserLifecycle({ db: data.db, apps: data.apps, statistics, webhookEvents, ...lifecycle })
  const retention = new RetentionPruner({
    repository: new RetentionRepository(data.db),
    logger,
    retentionDays: config.retentionDays,
    ...(options.retentionIntervalMs !== undefined && { intervalMs: options.retentionIntervalMs }),
  })
  retention.start()

  const publicKeys = new PublicKeys({
    db: data.db,
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
  onConfigApplied = () => eventStreams.sweep()

  const guesses = new GuessGuard(new RateWindow({ rate: limits.adminGuessRate }))
  const accounts = openTeammateAccounts(data, config.teammates)
  let listeningUrl = ''

  let shuttingDown = false
  let openApi: unknown = null
  const routes: Route[] = [
    ...healthRoutes({ isReady: () => !shuttingDown && cache.isReady(), openApiDocument: () => (openApi ??= buildOpenApiDocument(routes, VERSION)) }),
    ...messengerAuthRoutes(auth, countAuthResults(metrics)),
    ...metricsRoutes(metrics, config.metricsToken),
    ...adminAppRoutes(admin, data.db),
    ...adminPublicKeyRoutes(publicKeys),
    ...adminWebhookRoutes(webhooks),
    ...adminAlertRoutes(alerts),
    ...messengerProfileRoutes(profiles),
    ...messengerConversationRoutes(conversations, new RateWindow({ rate: limits.sessionWriteRate })),
    ...messengerEventRoutes(eventStreams),
    ...adminConversationRoutes(conversations),
    ...adminRolloutRoutes(new RolloutReports({ statistics, apps: data.apps }), (appId, query) => listFailures(data.db, appId, query)),
    ...adminUserRoutes(userLifecycle),
    ...adminSessionRoutes(accounts.sessions, guesses, { maxAgeSeconds: config.teammates.sessionMaxDays * 86_400, publicUrl: config.teammates.publicUrl }, logger),
    ...adminTeammateRoutes({ ...accounts, guesses, publicUrl: () => config.teammates.publicUrl ?? listeningUrl }),
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
    ready: () => !shuttingDown && cache.isReady(),
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
  const server = createServer({ keepAliveTimeout: 65_000, headersTimeout: 10_000, requestTimeout: 30_000 }, (req, res) => {
    void handler(req, res)
  })
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => answerClientError(error, socket, logger))
  const connections = trackConnections(server)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(config.port, config.host, () => resolve())
  }).catch(async (error: unknown) => {
    // The port is taken (or similar): let go of the database connections, or the process hangs on them.
    cache.stop()
    failureLimit.stop()
    await retention.stop()
    await listener?.stop()
    metrics.stop()
    await data.close().catch(() => {})
    throw listenError(error, config)
  })
  webhookWorker.start()
  const { port } = server.address() as AddressInfo
  const host = config.host.includes(':') ? `[${config.host}]` : config.host
  const url = `http://${host}:${port}`
  listeningUrl = url
  logger.info({ url, storage: data.dialect, location: data.location, apps: cache.appCount }, 'verity is listening')

  let closing: Promise<void> | null = null
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      shuttingDown = true
      // Live streams never finish on their own: end them first, or draining waits out the grace period.
      eventStreams.closeAll()
      const drained = new Promise<void>((resolve) => server.close(() => resolve()))
      connections.drain()
      const grace = setTimeout(() => server.closeAllConnections(), options.shutdownGraceMs ?? 20_000)
      await drained
      clearTimeout(grace)
      failureLimit.stop()
      accounts.stop()
      await webhookWorker.stop()
      cache.stop()
      await retention.stop()
      await listener?.stop()
      metrics.stop()
      await events.stop().catch((error: unknown) => logger.error({ err: error }, 'could not write the last statistics'))
      await alerts.settled()
      await data.close()
      logger.info('verity stopped')
    })())

  return { url, port, server, data, cache, profileCache, events, alerts, eventStreams, metrics, listener, diagnosisBudget: budget, logger, retention, webhookWorker, generatedAdminKey, close }
}
