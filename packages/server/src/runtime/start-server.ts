import { createServer, type Server } from 'node:http'
import { answerClientError } from '../http/client-error.js'
import type { AddressInfo } from 'node:net'
import type { Logger } from 'pino'
import type { ServerConfig } from '../config/server-config.js'
import { ConfigError } from '../errors/config-error.js'
import { createLogger } from '../logging/create-logger.js'
import { hashAdminKey } from '../storage/admin-key-repository.js'
import { trackConnections } from './connection-drain.js'
import { openVerityData, type VerityData } from './open-verity-data.js'

/** The listening server: the app's parts that tests and the cluster reach, and its socket. */
export interface RunningServer extends Pick<VerityApp, 'cache' | 'events' | 'alerts' | 'eventStreams' | 'adminStreams' | 'profileCache' | 'metrics' | 'listener' | 'diagnosisBudget' | 'retention' | 'webhookWorker'> {
  readonly url: string
  readonly port: number
  readonly server: Server
  readonly data: VerityData
  readonly logger: Logger
  /** The admin key made on first start, if this start made one (it is shown once). */
  readonly generatedAdminKey: string | null
  /** Graceful: stop accepting, finish in-flight requests, write buffered statistics, close storage. */
  close(): Promise<void>
}

export type { StartOptions } from './build-app.js'

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

import { buildApp, type StartOptions, type VerityApp } from './build-app.js'

export async function startServer(config: ServerConfig, options: StartOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? createLogger(config.logLevel)
  const data = await openVerityData(config, { serving: true })
  const announce = options.announce ?? ((text: string) => process.stderr.write(text))

  const generatedAdminKey = await ensureAdminKey(data, config, announce)

  const app = await buildApp(data, config, { ...options, logger })
  const { cache, profileCache, events, alerts, eventStreams, adminStreams, metrics, listener, diagnosisBudget, retention, webhookWorker, handler } = app
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
    await app.stop().catch(() => {})
    await data.close().catch(() => {})
    throw listenError(error, config)
  })
  webhookWorker.start()
  const { port } = server.address() as AddressInfo
  const host = config.host.includes(':') ? `[${config.host}]` : config.host
  const url = `http://${host}:${port}`
  app.listeningUrl = url
  logger.info({ url, storage: data.dialect, location: data.location, apps: cache.appCount }, 'verity is listening')

  let closing: Promise<void> | null = null
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      app.shuttingDown = true
      // Live streams never finish on their own: end them first, or draining waits out the grace period.
      eventStreams.closeAll()
      adminStreams.closeAll()
      const drained = new Promise<void>((resolve) => server.close(() => resolve()))
      connections.drain()
      const grace = setTimeout(() => server.closeAllConnections(), options.shutdownGraceMs ?? 20_000)
      await drained
      clearTimeout(grace)
      await app.stop()
      await data.close()
      logger.info('verity stopped')
    })())

  return { url, port, server, data, cache, profileCache, events, alerts, eventStreams, adminStreams, metrics, listener, diagnosisBudget, logger, retention, webhookWorker, generatedAdminKey, close }
}
