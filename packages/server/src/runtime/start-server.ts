import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Logger } from 'pino'
import type { ServerConfig } from '../config/server-config.js'
import { ConfigCache } from '../config-cache/config-cache.js'
import { createLogger } from '../logging/create-logger.js'
import { createRequestHandler } from '../http/handle-request.js'
import { buildOpenApiDocument } from '../http/openapi.js'
import { Router } from '../http/router.js'
import type { Route } from '../http/route.js'
import { adminAppRoutes } from '../http/routes/admin-app-routes.js'
import { healthRoutes } from '../http/routes/health-routes.js'
import { messengerAuthRoutes } from '../http/routes/messenger-auth-routes.js'
import { hashAdminKey } from '../storage/admin-key-repository.js'
import { AppAdmin } from '../services/app-admin.js'
import { AuthEventBuffer } from '../services/auth-event-buffer.js'
import { diagnoseFailure } from '../services/diagnose-failure.js'
import { MessengerAuth } from '../services/messenger-auth.js'
import { FailureLimiter } from '../verification/failure-limiter.js'
import { DiagnosisBudget } from '../verification/work-budget.js'
import { openVerityData, type VerityData } from './open-verity-data.js'
import { VERSION } from './version.js'

export interface RunningServer {
  readonly url: string
  readonly port: number
  readonly server: Server
  readonly data: VerityData
  readonly cache: ConfigCache
  readonly events: AuthEventBuffer
  readonly logger: Logger
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
}

export async function startServer(config: ServerConfig, options: StartOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? createLogger(config.logLevel)
  const data = await openVerityData(config)
  const announce = options.announce ?? ((text: string) => process.stderr.write(text))

  let generatedAdminKey: string | null = null
  if (!config.adminKey && (await data.adminKeys.all()).length === 0) {
    generatedAdminKey = (await data.adminKeys.create('bootstrap', 'system', new Date())).key
    announce(
      `\nVerity made an admin key. It is shown this once and stored only as a digest:\n\n    ${generatedAdminKey}\n\n` +
        'Use it as "Authorization: Bearer <key>" on /admin/v1. Set VERITY_ADMIN_KEY to choose your own.\n\n',
    )
  }

  const cache = new ConfigCache({
    db: data.db,
    apps: data.apps,
    signingKeys: data.signingKeys,
    adminKeys: data.adminKeys,
    tokenTtlSeconds: config.tokenTtlSeconds,
    bootstrapAdminKeyHash: config.adminKey ? hashAdminKey(config.adminKey) : null,
    logger,
  })
  await cache.refresh()
  cache.start()

  const budget = new DiagnosisBudget({ perAppPerSecond: 5_000, globalPerSecond: 50_000, perDiagnosis: 12_000 })
  const events = new AuthEventBuffer({
    db: data.db,
    logger,
    diagnose: (failure) => diagnoseFailure(failure, cache.app(failure.appId), () => cache.apps(), budget.forApp(failure.appId)),
  })
  events.start()

  const auth = new MessengerAuth({ cache, limiter: new FailureLimiter({ limit: config.failureLimit }), deviceIds: data.deviceIds, events })
  const admin = new AppAdmin({ db: data.db, apps: data.apps, onChange: () => cache.refresh() })

  let shuttingDown = false
  let openApi: unknown = null
  const routes: Route[] = [
    ...healthRoutes({ isReady: () => !shuttingDown && cache.isFresh(), openApiDocument: () => (openApi ??= buildOpenApiDocument(routes, VERSION)) }),
    ...messengerAuthRoutes(auth),
    ...adminAppRoutes(admin, data.db),
  ]
  const handler = createRequestHandler({ router: new Router(routes), cache, logger })
  const server = createServer({ keepAliveTimeout: 65_000, headersTimeout: 10_000, requestTimeout: 30_000 }, (req, res) => {
    void handler(req, res)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(config.port, config.host, () => resolve())
  })
  const { port } = server.address() as AddressInfo
  const host = config.host.includes(':') ? `[${config.host}]` : config.host
  const url = `http://${host}:${port}`
  logger.info({ url, storage: data.dialect, location: data.location, apps: cache.appCount }, 'verity is listening')

  let closing: Promise<void> | null = null
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      shuttingDown = true
      const drained = new Promise<void>((resolve) => server.close(() => resolve()))
      server.closeIdleConnections()
      const grace = setTimeout(() => server.closeAllConnections(), options.shutdownGraceMs ?? 20_000)
      await drained
      clearTimeout(grace)
      cache.stop()
      await events.stop().catch((error: unknown) => logger.error({ err: error }, 'could not write the last statistics'))
      await data.close()
      logger.info('verity stopped')
    })())

  return { url, port, server, data, cache, events, logger, generatedAdminKey, close }
}
