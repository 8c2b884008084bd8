import { Command } from 'commander'
import { printJson, type CliIo } from '../cli-io.js'
import { withData, type DataOptions } from '../with-data.js'
import { withDataOptions } from './data-options.js'

type Options = DataOptions & { json?: boolean }

export function adminKeyCommand(io: CliIo): Command {
  const command = new Command('admin-key').description('the bootstrap admin key: a Bearer key with owner rights, for automation and as a break-glass key')
  withDataOptions(
    command.command('rotate').description('print a new admin key and end every earlier one (VERITY_ADMIN_KEY included), on every instance within 2 s; audited'),
  ).action(async (opts: Options) => {
    await withData(opts, io, async ({ data, actor }) => {
      const made = await data.adminKeys.retireAll(true, actor, new Date())
      if (opts.json) return printJson(io, { admin_key: made!.key, id: made!.id })
      io.stdout(`${made!.key}\n`)
      io.stderr('This is the new admin key, shown this once. Every earlier key (VERITY_ADMIN_KEY too) stops working within 2 s.\n')
    })
  })
  withDataOptions(
    command.command('disable').description('end every admin key (VERITY_ADMIN_KEY included), on every instance within 2 s; teammates and API tokens keep working; audited'),
  ).action(async (opts: Options) => {
    await withData(opts, io, async ({ data, actor }) => {
      await data.adminKeys.retireAll(false, actor, new Date())
      if (opts.json) return printJson(io, { disabled: true })
      io.stdout('Every admin key is ended. `verity admin-key rotate` makes a new one.\n')
    })
  })
  return command
}
