import { Command } from 'commander'
import { FailureLog } from '../../services/failure-log.js'
import type { Platform } from '../../verification/platforms.js'
import { printJson, type CliIo } from '../cli-io.js'
import { formatFailures } from '../format.js'
import { withData, type DataOptions } from '../with-data.js'
import { parsePlatform, withDataOptions } from './data-options.js'

type Options = DataOptions & { json?: boolean; app: string; platform?: Platform; limit?: number; cursor?: string }

/** Why proofs fail: the admin API's failure log, newest first, with what to do about each diagnosis. */
export function failuresCommand(io: CliIo): Command {
  return withDataOptions(
    new Command('failures')
      .description('recent failed proofs of an app with their diagnosis, newest first')
      .requiredOption('--app <app_id>', 'the app')
      .option('--platform <platform>', 'only web, ios or android', parsePlatform)
      .option('--limit <n>', 'page size, 1-100 (default 50)', (v) => Number(v))
      .option('--cursor <cursor>', 'next_cursor from the previous page'),
  ).action(async (opts: Options) => {
    await withData(opts, io, async ({ data }) => {
      const page = await new FailureLog(data.failures).list(opts.app, {
        ...(opts.platform !== undefined && { platform: opts.platform }),
        ...(opts.limit !== undefined && { limit: opts.limit }),
        ...(opts.cursor !== undefined && { cursor: opts.cursor }),
      })
      if (opts.json) return printJson(io, page)
      io.stdout(formatFailures(page.failures))
      if (page.next_cursor) io.stdout(`More: verity failures --app ${opts.app} --cursor ${page.next_cursor}\n`)
    })
  })
}
