import type { Kysely } from 'kysely'
import { VerityError } from '../errors/verity-error.js'
import { failureLimitDigest } from '../limits/database-failure-limit.js'
import { failureLimitKey } from '../limits/failure-limit.js'
import type { AppRepository } from '../storage/app-repository.js'
import { actorName, changeConfig, type Actor } from '../storage/config-change.js'
import { eraseUserRows, type ErasedRows, type ErasureTarget } from '../storage/erase-user-rows.js'
import type { Database } from '../storage/schema.js'
import { recordSignOut } from '../storage/sign-out-repository.js'
import type { StatisticsRepository } from '../storage/statistics-repository.js'
import { identityKey, type ClaimedIdentity } from '../verification/identity.js'
import { PLATFORMS } from '../verification/platforms.js'
import { userDigest } from '../verification/user-digest.js'
import type { WebhookEvents } from '../webhooks/webhook-events.js'
import { APP_ID_PATTERN } from './app-admin.js'
import { sweepLate, type LateSweepMode } from './late-sweep.js'

export interface UserLifecycleDeps {
  readonly db: Kysely<Database>
  readonly apps: AppRepository
  /** Where the late sweep finds statistics written after an erasure. */
  readonly statistics: StatisticsRepository
  /** Called after every committed write, so this process serves the change at once. */
  readonly onChange: () => Promise<void>
  readonly now?: () => Date
  /** Writes this process's buffered statistics, so that an erasure finds them in storage. */
  readonly flushStatistics?: () => Promise<void>
  /** The second sweep of statistics written late (services/late-sweep.ts). */
  readonly lateSweep: LateSweepMode
  readonly onLateSweepError?: (error: unknown) => void
  /** Queues `user.signed_out` inside the sign-out's transaction. */
  readonly webhookEvents?: WebhookEvents
}

/** A user named by exactly one of the two namespaces (API.md: `{"user_id"}` or `{"email"}`). */
export type UserSelector = { readonly user_id: string; readonly email?: undefined } | { readonly email: string; readonly user_id?: undefined }

export function selectedIdentity(selector: UserSelector): ClaimedIdentity {
  return selector.user_id !== undefined ? { userId: selector.user_id, email: null } : { userId: null, email: selector.email }
}

/**
 * Access tokens carry their issue time in whole seconds, so a sign-out ends every token issued
 * before the next whole second: the ones issued earlier in this second included.
 */
export function signOutInstant(now: Date): Date {
  return new Date(Math.ceil(now.getTime() / 1000) * 1000)
}

/**
 * Signing one user out everywhere and erasing one user, from the admin API and the CLI alike.
 * Both are configuration changes (a revision bump, NOTIFY on PostgreSQL), so every instance's
 * config cache learns of the sign-out within 2 s and its live streams re-check their tokens.
 */
export class UserLifecycle {
  readonly #deps: UserLifecycleDeps
  readonly #now: () => Date

  constructor(deps: UserLifecycleDeps) {
    this.#deps = deps
    this.#now = deps.now ?? (() => new Date())
  }

  /** Every access token issued to the user before the answer's time is refused from now on. */
  async signOut(appId: string, selector: UserSelector, actor: Actor): Promise<{ signed_out_before: string }> {
    await this.#requireApp(appId)
    const now = this.#now()
    const identity = selectedIdentity(selector)
    const before = signOutInstant(now).toISOString()
    await changeConfig(
      this.#deps.db,
      { actor, action: 'user.signed_out', appId, target: identityKey(identity), details: { signed_out_before: before } },
      now,
      async (trx, revision) => {
        await recordSignOut(trx, { appId, userKey: userDigest(identity), signedOutBefore: before }, revision)
        // Your server learns of it too (its own sessions for this user may want to end as well).
        await this.#deps.webhookEvents?.emit(trx, 'user.signed_out', { app_id: appId, user_id: identity.userId, email: identity.email, signed_out_before: before, actor: actorName(actor) }, now)
      },
    )
    await this.#deps.onChange()
    return { signed_out_before: before }
  }

  /**
   * Deletes every row of the user in this app and ends their sessions. What stays is the sign-out
   * (a digest, never the identifier), until no token it ends can still be alive, and an audit
   * event that says an erasure happened, and what it removed, but not whose.
   */
  async erase(appId: string, selector: UserSelector, actor: Actor): Promise<ErasedRows> {
    await this.#requireApp(appId)
    const now = this.#now()
    const identity = selectedIdentity(selector)
    const key = identityKey(identity)
    const digest = userDigest(identity)
    const limitKeys = PLATFORMS.map((p) => failureLimitDigest(failureLimitKey(appId, p, key)))
    const target: ErasureTarget = { appId, identityKey: key, digest, userId: identity.userId, email: identity.email, failureLimitKeys: limitKeys }
    await this.#deps.flushStatistics?.()
    const removed = await changeConfig(
      this.#deps.db,
      (result: ErasedRows) => ({ actor, action: 'user.erased', appId, details: { by: identity.userId !== null ? 'user_id' : 'email', removed: result } }),
      now,
      async (trx, revision) => {
        const result = await eraseUserRows(trx, target)
        await recordSignOut(trx, { appId, userKey: digest, signedOutBefore: signOutInstant(now).toISOString() }, revision)
        return result
      },
    )
    await this.#deps.onChange()
    await sweepLate(this.#deps.lateSweep, () => this.#deps.statistics.eraseUser(target), this.#deps.onLateSweepError)
    return removed
  }

  async #requireApp(appId: string): Promise<void> {
    const app = APP_ID_PATTERN.test(appId) ? await this.#deps.apps.get(appId) : null
    if (!app) throw new VerityError('app_not_found')
  }
}
