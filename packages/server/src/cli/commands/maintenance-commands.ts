import { Command } from 'commander'
import { parseStorageConfig } from '../../config/server-config.js'
import { migrateToLatest } from '../../storage/migrate.js'
import { openDatabase } from '../../storage/open-database.js'
import { printJson, type CliIo } from '../cli-io.js'
import { withData, type DataOptions } from '../with-data.js'
import { withDataOptions } from './data-options.js'
import { publicKeysCommand } from './public-keys-command.js'

type Options = DataOptions & { json?: boolean }

export function migrateCommand(io: CliIo): Command {
  return withDataOptions(new Command('migrate').description('apply pending database migrations and print what was applied')).action(async (opts: Options) => {
    const database = openDatabase(parseStorageConfig(opts, io.env, io.cwd))
    try {
      const report = await migrateToLatest(database.db)
      if (report.error) throw report.error
      if (opts.json) return printJson(io, { applied: report.applied })
      io.stdout(report.applied.length === 0 ? `${database.location} is up to date.\n` : `Applied to ${database.location}:\n${report.applied.map((m) => `  ${m}\n`).join('')}`)
    } finally {
      await database.close()
    }
  })
}

export function keysCommand(io: CliIo): Command {
  const keys = new Command('keys').description("Verity's access-token signing keys, and the public keys of your servers")
  withDataOptions(
    keys.command('rotate').description('add a signing key; the older keys keep verifying until the tokens they signed expire'),
  ).action(async (opts: Options) => {
    await withData(opts, io, async ({ data, actor }) => {
      const key = await data.signingKeys.rotate(actor, new Date())
      if (opts.json) return printJson(io, { key_id: key.id, created_at: key.createdAt })
      io.stdout(`New signing key ${key.id}. Running servers sign with it within 2 s.\n`)
    })
  })
  keys.addCommand(publicKeysCommand(io))
  return keys
}
