import { Command } from 'commander'
import type { UserSelector } from '../../services/user-lifecycle.js'
import { identifierProblem } from '../../verification/identity.js'
import { printJson, usageError, type CliIo } from '../cli-io.js'
import { withData, type DataOptions } from '../with-data.js'
import { withDataOptions } from './data-options.js'

type Options = DataOptions & { json?: boolean; app: string; userId?: string; email?: string }

/** Exactly one namespace, checked as the API checks it. */
function selector(opts: Options): UserSelector {
  if ((opts.userId === undefined) === (opts.email === undefined)) throw usageError('Name the user with exactly one of --user-id or --email.')
  const value = (opts.userId ?? opts.email)!
  const problem = identifierProblem(value)
  if (problem) throw usageError(`${opts.userId !== undefined ? '--user-id' : '--email'} ${problem}.`)
  return opts.userId !== undefined ? { user_id: opts.userId } : { email: opts.email! }
}

function userCommand(name: string, description: string): Command {
  return withDataOptions(
    new Command(name)
      .description(description)
      .requiredOption('--app <app_id>', 'the app')
      .option('--user-id <id>', 'the user id, as the messenger sends it')
      .option('--email <email>', 'the email, for a user known by email alone'),
  )
}

/** One user of an app, as the admin API's users routes: sign-out everywhere, erasure. */
export function usersCommand(io: CliIo): Command {
  const users = new Command('users').description('sign a user out everywhere, or erase a user')
  users.addCommand(
    userCommand('sign-out', "end every access token issued to the user before now, and their live streams, on every instance within 2 s").action(async (opts: Options) => {
      const who = selector(opts)
      await withData(opts, io, async ({ users: lifecycle, actor }) => {
        const result = await lifecycle.signOut(opts.app, who, actor)
        if (opts.json) return printJson(io, result)
        io.stdout(`Signed out: access tokens issued before ${result.signed_out_before} are refused, and live streams close, within 2 s.\n`)
      })
    }),
  )
  users.addCommand(
    userCommand('erase', "delete every row of the user in this app (profile, conversations and messages, statistics, failures) and end their sessions").action(async (opts: Options) => {
      const who = selector(opts)
      await withData(opts, io, async ({ users: lifecycle, actor }) => {
        const removed = await lifecycle.erase(opts.app, who, actor)
        if (opts.json) return printJson(io, { erased: true, removed })
        io.stdout(
          `Erased: ${removed.conversations} conversations (${removed.messages} messages), ${removed.profiles} profile, ` +
            `${removed.statistics} statistics rows, ${removed.failures} failures. Their sessions end within 2 s.\n`,
        )
      })
    }),
  )
  return users
}
