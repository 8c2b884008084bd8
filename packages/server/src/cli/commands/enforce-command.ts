import { Command } from 'commander'
import type { Platform } from '../../verification/platforms.js'
import { cliError, printJson, usageError, type CliIo } from '../cli-io.js'
import { formatForecast } from '../format.js'
import { withData, type DataOptions } from '../with-data.js'
import { parsePlatform, withDataOptions } from './data-options.js'

type Options = DataOptions & { json?: boolean; app: string; platform: Platform; yes?: boolean; days?: number }

/** Enforcement with eyes open: show who would be refused, and ask before locking them out. */
export function enforceCommand(io: CliIo): Command {
  return withDataOptions(
    new Command('enforce')
      .description('turn enforcement on or off for one platform; "on" prints the forecast and asks when anyone would be refused')
      .argument('<on|off>')
      .requiredOption('--app <app_id>', 'the app')
      .requiredOption('--platform <platform>', 'web, ios or android', parsePlatform)
      .option('--yes', 'enforce without asking, even if users would be refused')
      .option('--days <n>', 'window of the forecast in days (default 7)', (v) => Number(v)),
  ).action(async (state: string, opts: Options) => {
    if (state !== 'on' && state !== 'off') throw usageError('enforce takes "on" or "off".')
    await withData(opts, io, async ({ admin, actor }) => {
      const rollout = await admin.rollout(opts.app, opts.platform, opts.days)
      const forecast = rollout.forecast
      // Idempotent: asking for the state the platform is in changes nothing, asks nothing, and succeeds.
      const wanted = state === 'on'
      if ((await admin.getApp(opts.app)).platforms[opts.platform].enforced === wanted) {
        if (opts.json) return printJson(io, { enforced: wanted, changed: false, forecast })
        io.stdout(`${opts.platform} is already ${wanted ? 'enforced' : 'not enforced'}. Nothing changed.\n`)
        return
      }
      if (state === 'off') {
        await admin.setEnforced(opts.app, opts.platform, false, actor)
        if (opts.json) return printJson(io, { enforced: false, changed: true, forecast })
        io.stdout(`${opts.platform}: enforcement off. Unverified users are let in (and recorded).\n`)
        return
      }
      if (!opts.json) io.stdout(formatForecast(rollout))
      if (forecast.would_be_refused > 0 && !opts.yes) {
        const confirmed = io.interactive && /^y(es)?$/i.test((await io.ask(`Enforce on ${opts.platform} and refuse them? [y/N] `)).trim())
        if (!confirmed) {
          if (opts.json) printJson(io, { enforced: false, changed: false, forecast })
          throw cliError('not_confirmed', io.interactive ? 'Nothing enforced.' : 'Nothing enforced: users would be refused. Re-run with --yes to enforce anyway.')
        }
      }
      await admin.setEnforced(opts.app, opts.platform, true, actor)
      if (opts.json) return printJson(io, { enforced: true, changed: true, forecast })
      io.stdout(`${opts.platform}: enforced. Identified users without a valid proof now get 401.\n`)
    })
  })
}
