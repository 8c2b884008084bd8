import { Command } from 'commander'
import { toAppRuntime, type AppRuntime } from '../../config-cache/app-runtime.js'
import { VerityError } from '../../errors/verity-error.js'
import { APP_ID_PATTERN } from '../../services/app-admin.js'
import { diagnosisContext } from '../../diagnosis/diagnose-failure.js'
import { DIAGNOSIS_ADVICE } from '../../diagnosis/diagnosis-advice.js'
import type { VerityData } from '../../runtime/open-verity-data.js'
import { diagnoseUserHash } from '../../diagnosis/diagnose-user-hash.js'
import type { Diagnosis } from '../../diagnosis/diagnosis.js'
import { identifierOf, identifierProblem, type ClaimedIdentity } from '../../verification/identity.js'
import type { Platform } from '../../verification/platforms.js'
import { verifyUserHash } from '../../verification/verify-user-hash.js'
import { fixedWorkBudget } from '../../diagnosis/work-budget.js'
import { cliError, printJson, usageError, type CliIo } from '../cli-io.js'
import { withData, type DataOptions } from '../with-data.js'
import { parsePlatform, withDataOptions } from './data-options.js'

type Options = DataOptions & { json?: boolean; app: string; platform: Platform; userId?: string; email?: string; hash: string }

// A person is waiting and nothing else shares this process, so the diagnosis may search every
// secret of every app; the bound only keeps a huge server from making the command hang.
const VERIFY_BUDGET_UNITS = 1_000_000

/**
 * "Why does my hash fail?" answered from the command line, with the function the server verifies
 * with and the diagnosis its failure log uses, so the verdict here is the verdict there.
 */
export function verifyCommand(io: CliIo): Command {
  return withDataOptions(
    new Command('verify')
      .description('check a user hash as the server would and, if it fails, say which mistake made it and what to do')
      .requiredOption('--app <app_id>', 'the app')
      .requiredOption('--platform <platform>', 'web, ios or android', parsePlatform)
      .option('--user-id <id>', 'the user id the messenger sends (wins over --email, as on the server)')
      .option('--email <email>', 'the email the messenger sends')
      .requiredOption('--hash <user_hash>', 'the user_hash the messenger sends'),
  ).action(async (opts: Options) => {
    const identity = identityOf(opts)
    await withData(opts, io, async ({ data }) => {
      const app = await loadApp(data, opts.app, io)
      const secretId = verifyUserHash(app.platforms[opts.platform].active, identifierOf(identity), opts.hash)
      if (secretId !== null) {
        if (opts.json) return printJson(io, { verified: true, diagnosis: null, secret_id: secretId })
        io.stdout(`Verified: the hash is valid for ${describe(identity)} on ${opts.platform} (secret ${secretId}).\n`)
        return
      }
      const others = await loadOtherApps(data, app.id)
      const ctx = diagnosisContext(app, opts.platform, identity, () => others)
      const diagnosis = diagnoseUserHash(ctx, opts.hash, fixedWorkBudget(VERIFY_BUDGET_UNITS))
      if (opts.json) printJson(io, { verified: false, diagnosis })
      else io.stdout(formatFailure(identity, opts.platform, diagnosis))
      throw cliError('not_verified')
    })
  })
}

function identityOf(opts: Options): ClaimedIdentity {
  if (opts.userId === undefined && opts.email === undefined) throw usageError('verify needs --user-id or --email (the identity the messenger sends).')
  for (const [flag, value] of [['--user-id', opts.userId], ['--email', opts.email]] as const) {
    const problem = value === undefined ? null : identifierProblem(value)
    if (problem) throw usageError(`${flag} ${problem}.`)
  }
  return { userId: opts.userId ?? null, email: opts.email ?? null }
}

async function loadApp(data: VerityData, appId: string, io: CliIo): Promise<AppRuntime> {
  const stored = APP_ID_PATTERN.test(appId) ? await data.apps.get(appId) : null
  if (!stored) throw new VerityError('app_not_found')
  return toAppRuntime(stored, (secretId) => io.stderr(`Warning: secret ${secretId} does not open with the master key and is ignored.\n`))
}

/** Every other app, for the `other_app_secret` check; loaded only once a hash has failed. */
async function loadOtherApps(data: VerityData, appId: string): Promise<AppRuntime[]> {
  const apps: AppRuntime[] = []
  let after: string | null = null
  for (;;) {
    const page = await data.apps.page(500, after)
    for (const stored of page) if (stored.id !== appId) apps.push(toAppRuntime(stored, () => {}))
    if (page.length < 500) return apps
    after = page[page.length - 1]!.id
  }
}

function describe(identity: ClaimedIdentity): string {
  return identity.userId !== null ? `user_id ${JSON.stringify(identity.userId)}` : `email ${JSON.stringify(identity.email)}`
}

function formatFailure(identity: ClaimedIdentity, platform: Platform, diagnosis: Diagnosis): string {
  const advice = DIAGNOSIS_ADVICE[diagnosis]
  return (
    `Not verified: the hash is not valid for ${describe(identity)} on ${platform}.\n` +
    `Diagnosis: ${diagnosis}\n` +
    `  ${advice.found}\n` +
    `  What to do: ${advice.fix}\n`
  )
}
