import { Command, InvalidArgumentError } from 'commander'
import { localPublicUrl, parsePublicUrl, parseTeammateSettings } from '../../config/server-config.js'
import { PasswordHasher } from '../../teammates/password-hasher.js'
import { isRole, ROLES, type Role } from '../../authorization/roles.js'
import { TeammateDirectory } from '../../teammates/teammate-directory.js'
import { teammateView } from '../../teammates/teammate-views.js'
import { printJson, usageError, type CliIo } from '../cli-io.js'
import { withData, type DataOptions } from '../with-data.js'
import { withDataOptions } from './data-options.js'

type Options = DataOptions & { json?: boolean }

function parseRole(value: string): Role {
  if (!isRole(value)) throw new InvalidArgumentError(`must be one of ${ROLES.join(', ')}.`)
  return value
}

function directory(io: CliIo, run: Parameters<typeof withData>[0], work: (dir: TeammateDirectory, actor: string) => Promise<void>): Promise<void> {
  const settings = parseTeammateSettings({}, io.env)
  return withData(run, io, async ({ data, actor }) => work(new TeammateDirectory(data.teammates, new PasswordHasher({ concurrency: 1, queue: 0, logN: settings.scryptLogN })), actor))
}

export function teammatesCommand(io: CliIo): Command {
  const teammates = new Command('teammates').description('people who sign in to Verity, each with a role: owner (everything), admin (apps, secrets, enforcement, audit), agent (the inbox only)')
  withDataOptions(teammates.command('list').description('list the teammates')).action(async (opts: Options) => {
    await directory(io, opts, async (dir) => {
      const list = (await dir.list()).map(teammateView)
      if (opts.json) return printJson(io, { teammates: list })
      if (list.length === 0) io.stdout('No teammates yet. Add the first owner: verity teammates add --email you@example.com --role owner --password-stdin\n')
      for (const t of list) io.stdout(`${t.id}  ${t.email}  ${t.role}${t.active ? '' : '  (invited)'}${t.totp_enabled ? '  2FA' : ''}\n`)
    })
  })
  withDataOptions(
    teammates
      .command('add')
      .description('add a teammate: prints a single-use invite link (72 hours), or with --password-stdin sets the password read from stdin')
      .requiredOption('--email <email>', 'their email address (how they sign in)')
      .requiredOption('--role <role>', 'owner, admin or agent', parseRole)
      .option('--name <name>', 'a name people recognise')
      .option('--password-stdin', 'read the password (12+ characters, not a common one) from stdin instead of making an invite')
      .option('--public-url <url>', 'where people reach this Verity, for the invite link [env VERITY_PUBLIC_URL; default http://127.0.0.1:8080, or HOST and PORT when HOST is loopback]'),
  ).action(async (opts: Options & { email: string; role: Role; name?: string; passwordStdin?: boolean; publicUrl?: string }) => {
    if (opts.passwordStdin) {
      if (!io.readStdin) throw usageError('--password-stdin needs a standard input.')
      // One trailing newline (echo, a heredoc) is not part of the password.
      const password = (await io.readStdin()).replace(/\r?\n$/, '')
      await directory(io, opts, async (dir, actor) => {
        const teammate = teammateView(await dir.addWithPassword({ email: opts.email, name: opts.name ?? null, role: opts.role, password }, { actor }))
        if (opts.json) return printJson(io, { teammate })
        io.stdout(`Added ${teammate.email} (${teammate.role}). They can sign in now: POST /admin/v1/session.\n`)
      })
      return
    }
    const publicUrl = parsePublicUrl(opts.publicUrl, io.env) ?? localPublicUrl(io.env)
    if (!publicUrl) throw usageError('An invite link needs the address people reach Verity at: --public-url https://verity.example.com (or VERITY_PUBLIC_URL). Or set the password directly with --password-stdin.')
    await directory(io, opts, async (dir, actor) => {
      const { teammate, inviteUrl } = await dir.invite({ email: opts.email, name: opts.name ?? null, role: opts.role }, publicUrl, { actor })
      if (opts.json) return printJson(io, { teammate: teammateView(teammate), invite_url: inviteUrl })
      io.stdout(`${inviteUrl}\n`)
      io.stderr(`Invited ${teammate.email} (${teammate.role}). The link works once, for 72 hours; share it privately.\n`)
    })
  })
  withDataOptions(teammates.command('remove').description('remove a teammate; their sessions and API tokens end at once (never the last owner)').argument('<id_or_email>')).action(
    async (who: string, opts: Options) => {
      await directory(io, opts, async (dir, actor) => {
        const teammate = await dir.find(who)
        await dir.remove(teammate.id, { actor })
        if (opts.json) return printJson(io, { removed: teammate.id })
        io.stdout(`Removed ${teammate.email}.\n`)
      })
    },
  )
  withDataOptions(
    teammates.command('set-role').description("change a teammate's role; their sessions and API tokens end at once (never demotes the last owner)").argument('<id_or_email>').requiredOption('--role <role>', 'owner, admin or agent', parseRole),
  ).action(async (who: string, opts: Options & { role: Role }) => {
    await directory(io, opts, async (dir, actor) => {
      const teammate = teammateView(await dir.setRole((await dir.find(who)).id, opts.role, { actor }))
      if (opts.json) return printJson(io, { teammate })
      io.stdout(`${teammate.email} is now ${teammate.role}.\n`)
    })
  })
  return teammates
}
