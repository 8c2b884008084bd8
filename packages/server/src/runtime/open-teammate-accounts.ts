import type { TeammateSettings } from '../config/server-config.js'
import { RateWindow } from '../limits/rate-window.js'
import { ApiTokens } from '../teammates/api-tokens.js'
import { PasswordHasher } from '../teammates/password-hasher.js'
import { TeammateDirectory } from '../teammates/teammate-directory.js'
import { TeammateSessions } from '../teammates/teammate-sessions.js'
import type { VerityData } from './open-verity-data.js'

/** Failed sign-ins per email before 429 (API.md), and the window they count in. */
export const SIGN_IN_FAILURES = { rate: 5, windowMs: 15 * 60_000 } as const
/** Password hashes waiting for a place, beyond those computing; past it, 503 at once. */
const HASH_QUEUE = 32
const PRUNE_EVERY_MS = 10 * 60_000

export interface TeammateAccounts {
  readonly hasher: PasswordHasher
  readonly directory: TeammateDirectory
  readonly sessions: TeammateSessions
  readonly tokens: ApiTokens
  stop(): void
}

/** Teammates, sessions and API tokens over one bounded password hasher; ended sessions are pruned in the background. */
export function openTeammateAccounts(data: VerityData, settings: TeammateSettings): TeammateAccounts {
  const hasher = new PasswordHasher({ concurrency: settings.signInConcurrency, queue: HASH_QUEUE, logN: settings.scryptLogN })
  const idleMs = settings.sessionIdleHours * 3600_000
  const sessions = new TeammateSessions({
    teammates: data.teammates,
    sessions: data.teammateSessions,
    hasher,
    box: data.box,
    failuresPerEmail: new RateWindow({ rate: SIGN_IN_FAILURES.rate, windowMs: SIGN_IN_FAILURES.windowMs, slots: 15 }),
    idleMs,
    maxMs: settings.sessionMaxDays * 86_400_000,
  })
  const timer = setInterval(() => {
    data.teammateSessions.prune(new Date(), idleMs).catch(() => {})
  }, PRUNE_EVERY_MS)
  timer.unref()
  return {
    hasher,
    directory: new TeammateDirectory(data.teammates, hasher),
    sessions,
    tokens: new ApiTokens(data.apiTokens, data.changes),
    stop: () => clearInterval(timer),
  }
}
