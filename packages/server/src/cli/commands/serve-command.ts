import { Command } from 'commander'
import { parseServerConfig, type ConfigFlags } from '../../config/server-config.js'
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
    .option('--log-level <level>', 'fatal, error, warn, info, debug [env LOG_LEVEL, default info]')
    .action(async (flags: ConfigFlags) => {
      const config = parseServerConfig(flags, io.env, io.cwd)
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
