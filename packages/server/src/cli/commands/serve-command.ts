import { Command } from 'commander'
import { parseServerConfig, type ConfigFlags } from '../../config/server-config.js'
import { isClusterWorker, runClusterPrimary, runClusterWorker } from '../../runtime/serve-cluster.js'
import { startServer } from '../../runtime/start-server.js'
import type { CliIo } from '../cli-io.js'

export function serveCommand(io: CliIo): Command {
  return new Command('serve')
    .description('run the server')
    .option('--port <port>', 'port [env PORT, default 8080]')
    .option('--host <host>', 'bind address [env HOST, default 127.0.0.1]')
    .option('--data-dir <dir>', 'data folder (SQLite file, master key) [env VERITY_DATA_DIR, default ./verity-data]')
    .option('--database-url <url>', 'PostgreSQL instead of SQLite [env DATABASE_URL]')
    .option('--token-ttl <seconds>', 'access-token lifetime [env VERITY_TOKEN_TTL, default 900]')
    .option('--retention-days <days>', 'failures and rollout statistics older than this are deleted [env VERITY_RETENTION_DAYS, default 90]')
    .option('--log-level <level>', 'fatal, error, warn, info, debug [env LOG_LEVEL, default info]')
    .option('--workers <n>', 'processes serving the port together (node:cluster), at most one per core [env VERITY_WORKERS, default 1]')
    .option('--public-url <url>', 'where people reach this Verity, for invite links [env VERITY_PUBLIC_URL]')
    .action(async (flags: ConfigFlags) => {
      const config = parseServerConfig(flags, io.env, io.cwd)
      // A forked worker runs this same command line; see runtime/serve-cluster.ts.
      if (isClusterWorker()) return runClusterWorker(config, { announce: io.stderr })
      if (config.workers > 1) return runClusterPrimary(config, { announce: io.stderr })
      const running = await startServer(config, { announce: io.stderr })
      await new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          running.logger.info({ signal }, 'shutting down: finishing in-flight requests')
          running.close().then(resolve, (error: unknown) => {
            running.logger.error({ err: error }, 'shutdown failed')
            resolve()
          })
        }
        process.once('SIGTERM', () => stop('SIGTERM'))
        process.once('SIGINT', () => stop('SIGINT'))
      })
    })
}
