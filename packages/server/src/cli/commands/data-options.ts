import { InvalidArgumentError, type Command } from 'commander'
import type { Platform } from '../../verification/platforms.js'
import { isPlatform } from '../../verification/platforms.js'

/** The options every data command shares with `serve` (same defaults and variables). */
export function withDataOptions(command: Command): Command {
  return command
    .option('--data-dir <dir>', 'data folder (SQLite file, master key) [env VERITY_DATA_DIR, default ./verity-data]')
    .option('--database-url <url>', 'PostgreSQL instead of SQLite [env DATABASE_URL]')
    .option('--json', 'one JSON document on stdout, for scripts')
}

export function parsePlatform(value: string): Platform {
  if (!isPlatform(value)) throw new InvalidArgumentError('must be web, ios or android.')
  return value
}
