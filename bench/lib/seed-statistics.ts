// Rollout statistics for millions of users, written by Verity's bulk loader
// (storage/seed-statistics.ts in the built dist): the same user rows and the same counts per day
// as the statistics flush writes after those users' logins (its equivalence is tested there).
import { Worker } from 'node:worker_threads'
import { sql } from 'kysely'
import { seedStatisticsModule, userDigestModule } from './server-modules.js'
import { openData, type DataLocation } from './seed.js'
import { keyOrder } from './user-order.js'

const DAY_MS = 86_400_000
export const APP_VERSIONS = ['1.0.0', '1.1.0', '1.2.0', '2.0.0', '2.1.0', '2.2.0', '2.3.0', '3.0.0', '3.0.1', '3.1.0'] as const
/** Progress is told every this many users. */
const PROGRESS_EVERY = 1_000_000

export interface SeedTarget {
  readonly appId: string
  readonly platform: 'web'
  /** The id of the platform's secret: verified attempts name it. */
  readonly secretId: string
}

/**
 * Writes the latest attempt of the users `from + order[0]`, `from + order[1]`, … on the target's
 * platform, their times spread over the last 6 days: 90% verified, 7% without a proof, 3% with an
 * invalid one, over ten app versions. Returns the seconds it took.
 *
 * The users go in the order of their keys (scaleUserOrder), with times ascending in that order, so
 * that every index of the users' rows (the key, and the two on the time) grows along its keys, as a
 * table filled day after day mostly does. In random order, each user rewrote a page of each index once the tables
 * outgrew the cache: 10 million users took 16 minutes on SQLite.
 */
export async function seedStatistics(location: DataLocation, target: SeedTarget, from: number, order: Uint32Array, onProgress: (done: number) => void): Promise<number> {
  const started = performance.now()
  const count = order.length
  const [{ bulkSeedStatistics }, { userDigest }] = await Promise.all([seedStatisticsModule(), userDigestModule()])
  const { data } = await openData(location)
  try {
    // Only for seeding, on this connection: no fsync per commit (the server opens the file as usual).
    if (location.databaseUrl === undefined) await sql`PRAGMA synchronous = OFF`.execute(data.db)
    const windowStart = Date.now() - 6 * DAY_MS - 60_000
    const at = isoTimes()
    function* users() {
      for (let rank = 0; rank < count; rank++) {
        const i = from + order[rank]!
        const roll = i % 100
        const outcome = roll < 90 ? 'verified' : roll < 97 ? 'missing' : 'invalid'
        const lastAt = at(windowStart + Math.floor((rank / count) * 6 * DAY_MS))
        const appVersion = APP_VERSIONS[i % APP_VERSIONS.length]!
        const proven = outcome === 'verified'
        if ((rank + 1) % PROGRESS_EVERY === 0) onProgress(rank + 1)
        yield {
          userKey: userDigest({ userId: scaleUserId(i), email: null }),
          state: {
            lastAt,
            outcome,
            appVersion,
            sdkVersion: '1.0.0',
            secretId: proven ? target.secretId : null,
            provenAt: proven ? lastAt : null,
            provenAppVersion: proven ? appVersion : null,
            provenSecretId: proven ? target.secretId : null,
          },
        } as const
      }
    }
    const written = await bulkSeedStatistics(data.db, target.appId, target.platform, users())
    if (written !== count) throw new Error(`the bulk loader wrote ${written} users, not ${count}`)
    // What autovacuum would do to millions of new rows, while the server is measured: now instead.
    if (location.databaseUrl !== undefined) await sql`vacuum (analyze) user_attempts, rollout_counts`.execute(data.db)
  } finally {
    await data.close()
  }
  return (performance.now() - started) / 1000
}

/** One database's bulk load, as the worker receives it. */
export interface SeedJob {
  readonly location: DataLocation
  readonly target: SeedTarget
  readonly from: number
  /** keyOrder's answer: shared, not copied, between the workers. */
  readonly order: Uint32Array
}

/** The user id of the scale benchmark's user `i`. */
export const scaleUserId = (i: number): string => `scale_user_${i}`

/** The users `from` to `from + count - 1` in the order of their keys, for every database at once. */
export async function scaleUserOrder(from: number, count: number): Promise<Uint32Array> {
  const { userDigest } = await userDigestModule()
  return keyOrder(from, count, (i) => userDigest({ userId: scaleUserId(i), email: null }))
}

/**
 * RFC 3339 times of ascending milliseconds: the date and second formatted once per second, since
 * Date#toISOString for each of millions of users was a tenth of the loader's time.
 */
function isoTimes(): (ms: number) => string {
  let second = Number.NaN
  let prefix = ''
  return (ms) => {
    const s = Math.floor(ms / 1000)
    if (s !== second) {
      second = s
      prefix = new Date(s * 1000).toISOString().slice(0, 20)
    }
    return `${prefix}${String(ms - s * 1000).padStart(3, '0')}Z`
  }
}

/**
 * seedStatistics in a worker thread, so that several databases can be written at once: the
 * SQLite loader is synchronous, and on one thread it starved PostgreSQL's connection until it
 * timed out.
 */
export function seedStatisticsInWorker(job: SeedJob, onProgress: (done: number) => void): Promise<number> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./seed-worker.js', import.meta.url), { workerData: job })
    let seconds: number | null = null
    worker.on('message', (message: { done: number } | { seconds: number }) => {
      if ('done' in message) onProgress(message.done)
      else seconds = message.seconds
    })
    worker.on('error', reject)
    worker.on('exit', (code) => (seconds !== null ? resolve(seconds) : reject(new Error(`the seeding worker stopped with exit code ${code}`))))
  })
}
