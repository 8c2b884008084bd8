// Rollout statistics for millions of users, written by Verity's own statistics flush (the
// AuthEventBuffer of the built dist) in batches, so that storage holds exactly what a server that
// saw those logins would hold, whatever tables the flush maintains.
import { sql } from 'kysely'
import { authEventBufferModule, loggerModule, statisticsRepositoryModule } from './server-modules.js'
import { openData, type DataLocation } from './seed.js'

/** Users written per flush: the buffer holds this many pending users. */
const BATCH = 50_000
const DAY_MS = 86_400_000
export const APP_VERSIONS = ['1.0.0', '1.1.0', '1.2.0', '2.0.0', '2.1.0', '2.2.0', '2.3.0', '3.0.0', '3.0.1', '3.1.0'] as const

export interface SeedTarget {
  readonly appId: string
  readonly platform: 'web'
  /** The id of the platform's secret: verified attempts name it. */
  readonly secretId: string
}

/**
 * Writes the latest attempt of users `from` to `from + count - 1` on the target's platform, their
 * times spread over the last 6 days: 90% verified, 7% without a proof, 3% with an invalid one, over
 * ten app versions. Returns the seconds it took.
 */
export async function seedStatistics(location: DataLocation, target: SeedTarget, from: number, count: number, onProgress: (done: number) => void): Promise<number> {
  const started = performance.now()
  const [{ AuthEventBuffer }, { createLogger }, { StatisticsRepository }] = await Promise.all([authEventBufferModule(), loggerModule(), statisticsRepositoryModule()])
  const { data } = await openData(location)
  try {
    // Only for seeding, on this connection: no fsync per flush (the server opens the file as usual).
    if (location.databaseUrl === undefined) await sql`PRAGMA synchronous = OFF`.execute(data.db)
    const buffer = new AuthEventBuffer({
      statistics: new StatisticsRepository(data.db),
      logger: createLogger('warn'),
      diagnose: () => {
        throw new Error('the seed records no failures')
      },
      maxPendingAttempts: BATCH,
    })
    const now = Date.now()
    for (let start = from; start < from + count; start += BATCH) {
      const end = Math.min(from + count, start + BATCH)
      for (let i = start; i < end; i++) {
        const roll = i % 100
        const outcome = roll < 90 ? 'verified' : roll < 97 ? 'missing' : 'invalid'
        buffer.attempt({
          at: now - ((i * 7_919) % (6 * DAY_MS)) - 60_000,
          appId: target.appId,
          platform: target.platform,
          identity: { userId: `scale_user_${i}`, email: null },
          outcome,
          secretId: outcome === 'verified' ? target.secretId : null,
          appVersion: APP_VERSIONS[i % APP_VERSIONS.length]!,
          sdkVersion: '1.0.0',
        })
      }
      await buffer.flush()
      if (buffer.dropped > 0) throw new Error(`the statistics buffer dropped ${buffer.dropped} attempts`)
      onProgress(end - from)
    }
  } finally {
    await data.close()
  }
  return (performance.now() - started) / 1000
}
