/**
 * The rollout's aggregates, as pure arithmetic (no SQL): what one user's stored state adds to the
 * `rollout_counts` rows, and what moving from one state to the next changes. The repository
 * (statistics-repository.ts) applies these deltas in the same transaction as the user's row, so
 * the aggregates always equal a count over `user_attempts`.
 *
 * Series, each keyed by UTC day:
 * - `latest`:        day of the latest attempt, its app version and outcome (every user);
 * - `proven_latest`: day of the latest valid proof, the latest attempt's version and outcome;
 * - `proven`:        day of the latest valid proof, that proof's app version (outcome `verified`);
 * - `secret`:        day of the latest valid proof, that proof's secret;
 * - `daily`:         a day the user was seen and their outcome that day (verified if any valid
 *                    proof that day, else their latest attempt's outcome that day).
 *
 * For a window that starts on day S, a user counts as verified (under `proven`) when their proof
 * is on day S or later; otherwise under their latest attempt, when that is on day S or later. A
 * proof is never later than the latest attempt, so the second group is `latest` minus
 * `proven_latest`, both summed from day S: O(days × versions) rows whatever the number of users.
 */
import type { AttemptOutcome } from '../verification/auth-events.js'

export type CountSeries = 'latest' | 'proven_latest' | 'proven' | 'secret' | 'daily'

/** One user's stored statistics: their latest attempt and latest valid proof (user_attempts). */
export interface AttemptState {
  readonly lastAt: string
  readonly outcome: AttemptOutcome
  readonly appVersion: string | null
  readonly sdkVersion: string | null
  readonly secretId: string | null
  readonly provenAt: string | null
  readonly provenAppVersion: string | null
  readonly provenSecretId: string | null
}

/** A change to one aggregate row. */
export interface CountDelta {
  readonly series: CountSeries
  readonly day: string
  /** `versionKey(app_version)` or a secret id. */
  readonly key: string
  /** The outcome, or '' for the secret series. */
  readonly outcome: string
  readonly users: number
  /** The time an attempt counted here was made: each row keeps the latest it saw. */
  readonly seenAt: string | null
}

/** A version as a non-null key: '' for none, so PostgreSQL can keep it in a primary key. */
export const versionKey = (version: string | null): string => (version === null ? '' : `v${version}`)
export const versionOfKey = (key: string): string | null => (key === '' ? null : key.slice(1))

/** The UTC day of an RFC 3339 time. */
export const dayOf = (at: string): string => at.slice(0, 10)

/**
 * The state after `incoming` (the buffer's latest attempt and proof of one flush) reaches `stored`:
 * the newer attempt wins, and the newer proof wins, each on its own, exactly as before aggregates.
 */
export function mergeAttempt(stored: AttemptState | null, incoming: AttemptState): AttemptState {
  if (stored === null) return incoming
  const latest = stored.lastAt <= incoming.lastAt ? incoming : stored
  const proofIsNewer = incoming.provenAt !== null && (stored.provenAt === null || stored.provenAt <= incoming.provenAt)
  const proof = proofIsNewer ? incoming : stored
  return {
    lastAt: latest.lastAt,
    outcome: latest.outcome,
    appVersion: latest.appVersion,
    sdkVersion: latest.sdkVersion,
    secretId: latest.secretId,
    provenAt: proof.provenAt,
    provenAppVersion: proof.provenAppVersion,
    provenSecretId: proof.provenSecretId,
  }
}

/** The rollout rows (not `daily`) one user's state adds to. */
export function rolloutContributions(state: AttemptState): CountDelta[] {
  const out: CountDelta[] = [{ series: 'latest', day: dayOf(state.lastAt), key: versionKey(state.appVersion), outcome: state.outcome, users: 1, seenAt: state.lastAt }]
  if (state.provenAt !== null) {
    const day = dayOf(state.provenAt)
    out.push({ series: 'proven_latest', day, key: versionKey(state.appVersion), outcome: state.outcome, users: 1, seenAt: null })
    out.push({ series: 'proven', day, key: versionKey(state.provenAppVersion), outcome: 'verified', users: 1, seenAt: state.provenAt })
    if (state.provenSecretId !== null) out.push({ series: 'secret', day, key: state.provenSecretId, outcome: '', users: 1, seenAt: null })
  }
  return out
}

/** The outcome a user counts under on the day of their latest attempt. */
export function dayOutcome(state: AttemptState): AttemptOutcome {
  return state.provenAt !== null && dayOf(state.provenAt) === dayOf(state.lastAt) ? 'verified' : state.outcome
}

/**
 * What the daily series gains when `incoming` reaches `stored` (`next` is their merge). Only the
 * day of the stored latest attempt is known per user, so: a later day adds the user to that day;
 * the same day may change the outcome they count under (a proof that day makes it verified, even
 * one that arrives after a later attempt, from another instance); a new proof on a later day of its
 * own counts that day as verified. An attempt from a day before the stored one changes nothing.
 */
export function dailyDeltas(stored: AttemptState | null, incoming: AttemptState, next: AttemptState): CountDelta[] {
  const before = new Map<string, string>()
  if (stored !== null) before.set(dayOf(stored.lastAt), dayOutcome(stored))
  const after = new Map(before)
  const newProof = incoming.provenAt !== null && next.provenAt === incoming.provenAt && incoming.provenAt !== stored?.provenAt
  if (newProof && (stored === null || dayOf(incoming.provenAt!) >= dayOf(stored.lastAt))) after.set(dayOf(incoming.provenAt!), 'verified')
  after.set(dayOf(next.lastAt), dayOutcome(next))
  const out: CountDelta[] = []
  for (const [day, outcome] of after) {
    const old = before.get(day)
    if (old === outcome) continue
    if (old !== undefined) out.push({ series: 'daily', day, key: '', outcome: old, users: -1, seenAt: null })
    out.push({ series: 'daily', day, key: '', outcome, users: 1, seenAt: null })
  }
  return out
}

const withdrawn = (state: AttemptState): CountDelta[] => rolloutContributions(state).map((d) => ({ ...d, users: -1, seenAt: null }))

/** The net change of the rollout rows from `stored` to `next`: a user moves between rows. */
export function rolloutDeltas(stored: AttemptState | null, next: AttemptState): CountDelta[] {
  return [...(stored === null ? [] : withdrawn(stored)), ...rolloutContributions(next)]
}

/** A user's erasure: out of the rollout, and out of the daily series on their latest day. */
export function erasureDeltas(state: AttemptState): CountDelta[] {
  return [...withdrawn(state), { series: 'daily', day: dayOf(state.lastAt), key: '', outcome: dayOutcome(state), users: -1, seenAt: null }]
}

const rowKey = (d: CountDelta): string => `${d.series}\u0000${d.day}\u0000${d.key}\u0000${d.outcome}`

/** Deltas summed per row as they come: a few rows per day and version, however many are added. */
export class CountSums {
  readonly #byRow = new Map<string, { -readonly [K in keyof CountDelta]: CountDelta[K] }>()

  add(d: CountDelta): void {
    const key = rowKey(d)
    const row = this.#byRow.get(key)
    if (row === undefined) {
      this.#byRow.set(key, { ...d })
      return
    }
    row.users += d.users
    if (d.seenAt !== null && (row.seenAt === null || d.seenAt > row.seenAt)) row.seenAt = d.seenAt
  }

  /** One delta per row; zero sums without a time are dropped, as they change nothing. */
  deltas(): CountDelta[] {
    return [...this.#byRow.values()].filter((d) => d.users !== 0 || d.seenAt !== null)
  }
}

/** Deltas to the same row summed, zero sums without a time dropped: one write per row. */
export function netDeltas(deltas: Iterable<CountDelta>): CountDelta[] {
  const sums = new CountSums()
  for (const d of deltas) sums.add(d)
  return sums.deltas()
}
