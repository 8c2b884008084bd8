import cluster, { type Worker } from 'node:cluster'
import type { ServerConfig } from '../config/server-config.js'
import { ConfigError } from '../errors/config-error.js'
import { createLogger } from '../logging/create-logger.js'
import { FailureWindow } from '../limits/failure-window.js'
import { answerRefusal } from '../limits/cluster-failure-limit.js'
import { FAILURE_WINDOW_MS } from './open-failure-limit.js'
import { openVerityData } from './open-verity-data.js'
import { ensureAdminKey } from './start-server.js'
import { isClusterMessage, RESTART_BACKOFF_MS, type ClusterMessage, type ClusterOptions } from './cluster-messages.js'

/** Runs the primary until SIGTERM or SIGINT has drained every worker. */
export async function runClusterPrimary(config: ServerConfig, options: ClusterOptions): Promise<void> {
  const logger = options.logger ?? createLogger(config.logLevel)
  // Everything that must happen once: migrations, the master key file, a signing key, the admin key.
  const data = await openVerityData(config)
  try {
    await ensureAdminKey(data, config, options.announce)
  } finally {
    await data.close()
  }

  const workers = new Set<Worker>()
  const ready = new Set<Worker>()
  // A configuration write in one worker, waiting for the others to apply it; key "<worker>:<id>".
  const pendingSyncs = new Map<string, { origin: Worker; id: number; waiting: Set<Worker> }>()
  // SQLite: the one count of refusals for every worker (PostgreSQL shares a table instead).
  const failureWindow = new FailureWindow({ limit: config.failureLimit, windowMs: FAILURE_WINDOW_MS })
  let listening = false
  let stopping = false
  let startupFailure = null as { code: number } | null

  const send = (worker: Worker, message: ClusterMessage): void => {
    if (worker.isConnected()) worker.send(message)
  }

  const settleSync = (key: string): void => {
    const sync = pendingSyncs.get(key)
    if (!sync || sync.waiting.size > 0) return
    pendingSyncs.delete(key)
    send(sync.origin, { verity: 'config-synced', id: sync.id })
  }

  const onMessage = (worker: Worker, message: unknown): void => {
    if (!isClusterMessage(message)) return
    switch (message.verity) {
      case 'ready': {
        ready.add(worker)
        if (!listening && ready.size === config.workers) {
          listening = true
          logger.info({ url: message.url, workers: config.workers, pid: process.pid }, 'verity is listening')
        }
        break
      }
      case 'config-changed': {
        const key = `${worker.id}:${message.id}`
        const others = [...ready].filter((w) => w !== worker && w.isConnected())
        pendingSyncs.set(key, { origin: worker, id: message.id, waiting: new Set(others) })
        for (const other of others) send(other, { verity: 'refresh', origin: worker.id, id: message.id })
        settleSync(key)
        break
      }
      case 'refreshed': {
        const key = `${message.origin}:${message.id}`
        pendingSyncs.get(key)?.waiting.delete(worker)
        settleSync(key)
        break
      }
      case 'refuse': {
        send(worker, answerRefusal(failureWindow, message, Date.now()))
        break
      }
      default:
        break
    }
  }

  const fork = (): void => {
    const worker = cluster.fork()
    const startedAt = Date.now()
    workers.add(worker)
    worker.on('message', (message: unknown) => onMessage(worker, message))
    worker.once('exit', (code, signal) => {
      const wasReady = ready.has(worker)
      workers.delete(worker)
      ready.delete(worker)
      // A write waiting on this worker need not wait any longer.
      for (const [key, sync] of pendingSyncs) {
        if (sync.origin === worker) pendingSyncs.delete(key)
        else if (sync.waiting.delete(worker)) settleSync(key)
      }
      if (stopping) {
        if (code !== 0 && !startupFailure) logger.error({ worker: worker.id, code, signal }, 'a worker did not stop cleanly')
        if (workers.size === 0) allExited()
        return
      }
      if (!listening && !wasReady) {
        // A worker that cannot start (port taken, storage unreachable): the others cannot either.
        startupFailure ??= { code: code ?? 3 }
        stopAll()
        return
      }
      logger.error({ worker: worker.id, code, signal }, 'a worker stopped unexpectedly; starting another')
      setTimeout(() => {
        if (!stopping) fork()
      }, Date.now() - startedAt < 5_000 ? RESTART_BACKOFF_MS : 0)
    })
  }

  let allExited: () => void = () => {}
  const exited = new Promise<void>((resolve) => (allExited = resolve))

  function stopAll(signal?: string): void {
    if (stopping) return
    stopping = true
    if (signal) logger.info({ signal, workers: workers.size }, 'shutting down: the workers finish their in-flight requests')
    if (workers.size === 0) allExited()
    // Each worker drains like a single server does on SIGTERM, then exits.
    for (const worker of workers) worker.process.kill('SIGTERM')
  }

  process.once('SIGTERM', () => stopAll('SIGTERM'))
  process.once('SIGINT', () => stopAll('SIGINT'))

  for (let i = 0; i < config.workers; i++) fork()
  await exited
  if (startupFailure) throw new ConfigError(`A worker could not start (exit code ${startupFailure.code}); see its message above.`)
  logger.info('verity stopped')
}
