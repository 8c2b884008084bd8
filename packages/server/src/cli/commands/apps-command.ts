import { Command, InvalidArgumentError } from 'commander'
import { ENVIRONMENTS, type Environment } from '../../storage/app-repository.js'
import { cliError, printJson, type CliIo } from '../cli-io.js'
import { formatApp, formatSecret } from '../format.js'
import { withData, type DataOptions } from '../with-data.js'
import { withDataOptions } from './data-options.js'

type Options = DataOptions & { json?: boolean }

function parseEnvironment(value: string): Environment {
  if (!(ENVIRONMENTS as readonly string[]).includes(value)) throw new InvalidArgumentError(`must be one of ${ENVIRONMENTS.join(', ')}.`)
  return value as Environment
}

export function appsCommand(io: CliIo): Command {
  const apps = new Command('apps').description('create, list, show and delete apps')
  withDataOptions(
    apps
      .command('create')
      .description('create an app with one secret per platform (web, ios, android)')
      .requiredOption('--name <name>', 'a name people recognise')
      .requiredOption('--environment <env>', 'development, test or production', parseEnvironment),
  ).action(async (opts: Options & { name: string; environment: Environment }) => {
    await withData(opts, io, async ({ admin, actor }) => {
      const result = await admin.createApp({ name: opts.name, environment: opts.environment }, actor)
      if (opts.json) return printJson(io, result)
      io.stdout(formatApp(result.app))
      io.stdout('\nSecrets (keep them on your server; each platform has its own):\n')
      for (const [platform, secret] of Object.entries(result.secrets)) io.stdout(formatSecret(platform, secret))
    })
  })
  withDataOptions(
    apps
      .command('list')
      .description('list apps, oldest first')
      .option('--limit <n>', 'page size, 1-100', (v) => Number(v))
      .option('--cursor <cursor>', 'next_cursor from the previous page'),
  ).action(async (opts: Options & { limit?: number; cursor?: string }) => {
    await withData(opts, io, async ({ admin }) => {
      const page = await admin.listApps({ ...(opts.limit !== undefined && { limit: opts.limit }), ...(opts.cursor !== undefined && { cursor: opts.cursor }) })
      if (opts.json) return printJson(io, page)
      if (page.apps.length === 0) io.stdout('No apps yet. Create one: verity apps create --name "My app" --environment production\n')
      for (const app of page.apps) io.stdout(formatApp(app))
      if (page.next_cursor) io.stdout(`\nMore: verity apps list --cursor ${page.next_cursor}\n`)
    })
  })
  withDataOptions(apps.command('show').description('show one app').argument('<app_id>')).action(async (appId: string, opts: Options) => {
    await withData(opts, io, async ({ admin }) => {
      const app = await admin.getApp(appId)
      if (opts.json) return printJson(io, { app })
      io.stdout(formatApp(app))
    })
  })
  withDataOptions(
    apps
      .command('delete')
      .description('delete an app and everything it holds: secrets, users, conversations, statistics, failures')
      .argument('<app_id>')
      .option('--confirm <app_id>', 'the app id again; without it, a terminal asks for it'),
  ).action(async (appId: string, opts: Options & { confirm?: string }) => {
    await withData(opts, io, async ({ admin, actor }) => {
      const app = await admin.getApp(appId)
      let confirm = opts.confirm
      if (confirm === undefined && io.interactive) {
        io.stderr(`This deletes ${app.name} (${app.environment}) and all its data for good.\n`)
        confirm = (await io.ask(`Type the app id to confirm: `)).trim()
      }
      if (confirm !== appId) {
        if (opts.json) printJson(io, { deleted: false })
        throw cliError('not_confirmed', opts.confirm === undefined && !io.interactive ? `Nothing deleted. Re-run with --confirm ${appId}.` : 'Nothing deleted: the confirmation does not match the app id.')
      }
      await admin.deleteApp(appId, confirm, actor)
      if (opts.json) return printJson(io, { deleted: true, app_id: appId })
      io.stdout(`Deleted ${appId} (${app.name}). Its tokens stop within 2 s on running servers.\n`)
    })
  })
  return apps
}
