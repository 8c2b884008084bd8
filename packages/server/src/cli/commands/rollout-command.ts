import { Command } from 'commander'
import type { Platform } from '../../verification/platforms.js'
import { printJson, type CliIo } from '../cli-io.js'
import { formatRolloutTable } from '../format.js'
import { withData, type DataOptions } from '../with-data.js'
import { parsePlatform, withDataOptions } from './data-options.js'

type Options = DataOptions & { json?: boolean; app: string; platform: Platform; days?: number }

/** The rollout of one platform: the same document as the admin API, or a table for a terminal. */
export function rolloutCommand(io: CliIo): Command {
  return withDataOptions(
    new Command('rollout')
      .description('which users send a valid proof, per app version and secret, and who enforcing would refuse')
      .requiredOption('--app <app_id>', 'the app')
      .requiredOption('--platform <platform>', 'web, ios or android', parsePlatform)
      // Checked by the same rule as the API (1 to 90), so both refuse the same values.
      .option('--days <n>', 'window in days (default 7)', (v) => Number(v)),
  ).action(async (opts: Options) => {
    await withData(opts, io, async ({ admin }) => {
      const rollout = await admin.rollout(opts.app, opts.platform, opts.days)
      if (opts.json) return printJson(io, rollout)
      io.stdout(formatRolloutTable(rollout))
    })
  })
}
