import cluster from 'node:cluster'
import type { ServerConfig } from '../config/server-config.js'
import { createLogger } from '../logging/create-logger.js'
import { FailureWindow } from '../limits/failure-window.js'
import { ClusterFailureLimit } from '../limits/cluster-failure-limit.js'
import { FAILURE_WINDOW_MS } from './open-failure-limit.js'
import { startServer, type RunningServer } from './start-server.js'
import { CONFIG_SYNC_TIMEOUT_MS, isClusterMessage, type ClusterMessage, type ClusterOptions } from './cluster-messages.js'

/** Runs one worker until it is told to stop (SIGTERM, SIGINT, or the primary going away). */
export async function runClusterWorker(config: ServerConfig, options: ClusterOptions): Promise<void> {
  const workerId = cluster.worker?.id ?? 0
  const logger = (options.logger ?? createLogger(config.logLevel)).child({ worker: workerId, pid: process.pid })
  const send = (message: ClusterMessage): boolean => {
    if (!process.connected || !process.send) return false
    process.send(message)
    return true
  }

  let syncId = 0
  const syncs = new Map<number, () => void>()
  // The primary counts refusals for every worker (start-server uses it on SQLite only).
  const failureLimit = new ClusterFailureLimit(send, new FailureWindow({ limit: config.failureLimit, windowMs: FAILURE_WINDOW_MS }))
  process.on('message', (message: unknown) => {
    if (isClusterMessage(message) && message.verity === 'refused') failureLimit.answered(message)
  })
  const running: RunningServer = await startServer(config, {
    logger,
    announce: options.announce,
    failureLimit,
    onConfigChange: () =>
      new Promise<void>((resolve) => {
        const id = ++syncId
        const timer = setTimeout(() => {
          syncs.delete(id)
          logger.warn('other workers did not confirm a configuration change in time; they will pick it up within 2 s')
          resolve()
        }, CONFIG_SYNC_TIMEOUT_MS)
        syncs.set(id, () => {
          clearTimeout(timer)
          resolve()
        })
        send({ verity: 'config-changed', id })
      }),
  }).catch((error: unknown) => {
    // The IPC channel would keep this process alive: let it exit with the CLI's exit code.
    // (cluster.worker.disconnect, not process.disconnect, which makes Node exit with code 0 at once.)
    cluster.worker?.disconnect()
    throw error
  })

  process.on('message', (message: unknown) => {
    if (!isClusterMessage(message)) return
    if (message.verity === 'refresh') {
      running.cache.refresh().then(
        () => send({ verity: 'refreshed', origin: message.origin, id: message.id }),
        (error: unknown) => {
          logger.error({ err: error }, 'configuration refresh failed')
          send({ verity: 'refreshed', origin: message.origin, id: message.id })
        },
      )
    } else if (message.verity === 'config-synced') {
      const done = syncs.get(message.id)
      syncs.delete(message.id)
      done?.()
    }
  })
  send({ verity: 'ready', url: running.url })

  await new Promise<void>((resolve) => {
    const stop = (reason: string) => {
      running.logger.info({ reason }, 'shutting down: finishing in-flight requests')
      running.close().then(resolve, (error: unknown) => {
        running.logger.error({ err: error }, 'shutdown failed')
        process.exitCode = 3
        resolve()
      })
    }
    process.once('SIGTERM', () => stop('SIGTERM'))
    process.once('SIGINT', () => stop('SIGINT'))
    // Should the primary die without a word (SIGKILL), Node ends its workers itself.
  })
  // The IPC channel would keep the process alive.
  cluster.worker?.disconnect()
}
