import { Command } from 'commander'
import { APP_ID_PATTERN } from '../../services/app-admin.js'
import { computeUserHash } from '../../verification/verify-user-hash.js'
import { printJson, usageError, type CliIo } from '../cli-io.js'

/** A secret's id (sec_…), as `secrets list` shows beside its value. */
const SECRET_ID_PATTERN = /^sec_[0-9a-z]{26}$/

/** The same function the server verifies with, so what this prints is what Verity expects. */
export function hashCommand(io: CliIo): Command {
  return new Command('hash')
    .description('print the user hash: hex(HMAC-SHA256(secret, user id or else email))')
    .requiredOption('--secret <secret>', "the platform's secret")
    .option('--user-id <id>', 'the user id (wins over --email)')
    .option('--email <email>', 'the email, when there is no user id')
    .option('--json', 'print {"user_hash"}')
    .action((opts: { secret: string; userId?: string; email?: string; json?: boolean }) => {
      const identifier = opts.userId ?? opts.email
      if (identifier === undefined) throw usageError('hash needs --user-id or --email.')
      if (opts.secret === '') throw usageError('--secret must not be empty.')
      // Ids are public and look nothing like a secret's value: hashing with one is always a mistake.
      if (APP_ID_PATTERN.test(opts.secret)) {
        throw usageError('--secret got an app id, not a secret. Use a platform secret (it starts with vsk_): verity secrets list --app ID --platform P.')
      }
      if (SECRET_ID_PATTERN.test(opts.secret)) {
        throw usageError("--secret got a secret's id, not its value. Use the value (it starts with vsk_): verity secrets list --app ID --platform P.")
      }
      const userHash = computeUserHash(opts.secret, identifier)
      if (opts.json) printJson(io, { user_hash: userHash })
      else io.stdout(`${userHash}\n`)
    })
}
