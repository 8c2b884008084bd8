import { Command } from 'commander'
import { VerityError } from '../../errors/verity-error.js'
import type { Platform } from '../../verification/platforms.js'
import { printJson, usageError, type CliIo } from '../cli-io.js'
import { formatListedSecret, formatSecret } from '../format.js'
import { withData, type DataOptions } from '../with-data.js'
import { parsePlatform, withDataOptions } from './data-options.js'

type Options = DataOptions & { json?: boolean; app: string; platform: Platform; secretId?: string }

function scoped(command: Command): Command {
  return withDataOptions(command.requiredOption('--app <app_id>', 'the app').requiredOption('--platform <platform>', 'web, ios or android', parsePlatform))
}

export function secretsCommand(io: CliIo): Command {
  const secrets = new Command('secrets').description('list, rotate and revoke platform secrets')
  scoped(
    secrets.command('list').description('show the active secrets of a platform, with their values (audited), when each was created and last used, and its users this week'),
  ).action(async (opts: Options) => {
    await withData(opts, io, async ({ admin, actor }) => {
      const list = await admin.listSecrets(opts.app, opts.platform, actor)
      // "Users this week" is the rollout's count: users whose latest valid proof in 7 days used it.
      const week = await admin.rollout(opts.app, opts.platform, 7)
      const usersThisWeek = new Map(week.secrets.map((s) => [s.id, s.users]))
      const listed = list.map((s) => ({ ...s, users_this_week: usersThisWeek.get(s.id) ?? 0 }))
      if (opts.json) return printJson(io, { secrets: listed })
      for (const s of listed) io.stdout(formatListedSecret(opts.platform, s))
    })
  })
  scoped(secrets.command('rotate').description('add a secret; the earlier ones stay valid until you revoke them')).action(async (opts: Options) => {
    await withData(opts, io, async ({ admin, actor }) => {
      const secret = await admin.rotateSecret(opts.app, opts.platform, actor)
      if (opts.json) return printJson(io, { secret })
      io.stdout(formatSecret(opts.platform, secret))
      io.stderr('Deploy the new secret to your servers, then revoke the old one once its "last used" stops moving.\n')
    })
  })
  scoped(secrets.command('revoke').description('revoke a secret and the access tokens it verified').option('--secret-id <id>', 'the secret to revoke')).action(
    async (opts: Options) => {
      if (!opts.secretId) throw usageError('secrets revoke needs --secret-id <id> (see: verity secrets list).')
      await withData(opts, io, async ({ admin, actor }) => {
        const { alreadyRevokedAt } = await admin.revokeSecret(opts.app, opts.platform, opts.secretId!, actor)
        // "Revoked" again would hide a mistyped id: no active secret has this one.
        if (alreadyRevokedAt !== null) {
          throw new VerityError('not_found', `Secret ${opts.secretId} was already revoked at ${alreadyRevokedAt}: no active secret has this id (see: verity secrets list).`)
        }
        if (opts.json) return printJson(io, { revoked: opts.secretId })
        io.stdout(`Revoked ${opts.secretId}.\n`)
      })
    },
  )
  return secrets
}
