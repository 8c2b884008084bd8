// The rollout and its daily series read from the per-day counts equal a straightforward count: the
// rollout from the users' rows (user_attempts), the daily series from the history itself. A random
// history of attempts, erasures and a retention pass goes through the real write path (the
// statistics buffer's flush, erasure and retention in storage/), on SQLite and on PostgreSQL.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseStorageConfig } from '../src/config/server-config.js'
import { openVerityData, type VerityData } from '../src/runtime/open-verity-data.js'
import type { AppAdmin } from '../src/services/app-admin.js'
import { openAppAdmin } from '../src/runtime/open-app-admin.js'
import { AuthEventBuffer, userKey } from '../src/services/auth-event-buffer.js'
import { RetentionPruner } from '../src/services/retention.js'
import { computeRollout, summarizeRollout, windowStartDay, type OutcomeGroup } from '../src/services/rollout.js'
import { dailySeries } from '../src/services/rollout-daily.js'
import { RetentionRepository } from '../src/storage/retention-prune.js'
import { bulkSeedStatistics } from '../src/storage/seed-statistics.js'
import { StatisticsRepository } from '../src/storage/statistics-repository.js'
import { eraseUserAttempts } from '../src/storage/statistics-writes.js'
import type { AttemptOutcome } from '../src/verification/auth-events.js'
import { BACKENDS, backendEnv } from './support/backends.js'

const DAY = 86_400_000
const T0 = Date.parse('2026-03-01T00:00:00.000Z')
const USERS = ['u0', 'u1', 'u2', 'u3', 'u4', 'u5', 'u6', 'u7']
const VERSIONS = ['1.0.0', '2.0.0', null] as const
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10)

interface Attempt {
  readonly user: number
  readonly outcome: AttemptOutcome
  readonly version: number
  readonly secret: number
}
/**
 * One flush's worth of traffic, all on one day, from `hour` on (so a later flush of the same day
 * may bring earlier attempts, as from another instance), and users erased after it.
 */
interface Step {
  readonly dayGap: number
  readonly hour: number
  readonly attempts: readonly Attempt[]
  readonly erase: readonly number[]
}

const attemptArb = fc.record({
  user: fc.nat({ max: USERS.length - 1 }),
  outcome: fc.constantFrom<AttemptOutcome>('verified', 'missing', 'invalid'),
  version: fc.nat({ max: VERSIONS.length - 1 }),
  secret: fc.nat({ max: 1 }),
})
const stepArb: fc.Arbitrary<Step> = fc.record({
  dayGap: fc.constantFrom(0, 0, 1, 1, 2, 5),
  hour: fc.integer({ min: 0, max: 22 }),
  attempts: fc.array(attemptArb, { maxLength: 12 }),
  erase: fc.array(fc.nat({ max: USERS.length - 1 }), { maxLength: 1 }),
})
const historyArb = fc.record({
  steps: fc.array(stepArb, { minLength: 1, maxLength: 14 }),
  nowGap: fc.nat({ max: 3 }),
  retentionDays: fc.integer({ min: 2, max: 12 }),
})

describe.each(BACKENDS)('rollout from counts equals the count over users (%s)', (backend) => {
  let dir: string
  let data: VerityData
  let admin: AppAdmin
  let statistics: StatisticsRepository

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'verity-equivalence-'))
    data = await openVerityData(parseStorageConfig({ dataDir: dir }, await backendEnv(backend)))
    admin = openAppAdmin(data, { onChange: async () => {} })
    statistics = new StatisticsRepository(data.db)
  })
  afterAll(async () => {
    await data?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  /** The rollout as it was computed before counts: a scan of the users' rows, in a whole-day window. */
  async function rolloutFromRows(appId: string, days: number, now: Date, secretIds: readonly string[], seen: ReadonlyMap<string, number[]>) {
    const since = `${windowStartDay(days, now)}T00:00:00.000Z`
    const rows = await data.db.selectFrom('user_attempts').selectAll().where('app_id', '=', appId).where('platform', '=', 'ios').execute()
    const groups = new Map<string, { appVersion: string | null; outcome: AttemptOutcome; users: number }>()
    const bySecret = new Map<string, number>()
    for (const r of rows) {
      if (r.last_at < since) continue
      const proven = r.proven_at !== null && r.proven_at >= since
      const appVersion = proven ? r.proven_app_version : r.app_version
      const outcome = (proven ? 'verified' : r.outcome) as AttemptOutcome
      const key = `${appVersion}|${outcome}`
      const group = groups.get(key) ?? { appVersion, outcome, users: 0 }
      group.users++
      groups.set(key, group)
      if (proven && r.proven_secret_id !== null) bySecret.set(r.proven_secret_id, (bySecret.get(r.proven_secret_id) ?? 0) + 1)
    }
    // last_seen_at: the latest attempt recorded on the version in the window (the history's own times).
    const lastSeen = (version: string | null) => new Date(Math.max(...(seen.get(String(version)) ?? []).filter((at) => at >= Date.parse(since)))).toISOString()
    const outcomeGroups: OutcomeGroup[] = [...groups.values()].map((g) => ({ ...g, lastSeenAt: lastSeen(g.appVersion) }))
    return summarizeRollout(days, outcomeGroups, bySecret, secretIds.map((id) => ({ id, revoked: false, lastUsedAt: null })))
  }

  it('the bulk loader for benchmarks writes the same rows and counts as the flush', async () => {
    const seeded = (await admin.createApp({ name: 'Seeded', environment: 'test' }, 'test')).app.id
    const flushed = (await admin.createApp({ name: 'Flushed', environment: 'test' }, 'test')).app.id
    const buffer = new AuthEventBuffer({ statistics, logger: pino({ level: 'silent' }), diagnose: () => 'unknown' })
    const users = Array.from({ length: 1_234 }, (_, i) => {
      const outcome = (['verified', 'missing', 'invalid'] as const)[i % 3]!
      const at = T0 - (i % 9) * DAY + i * 1_000
      const proofAt = outcome === 'verified' ? at : i % 4 === 0 ? at - 1_000 : null
      return { userId: `seed-${i}`, at, outcome, version: VERSIONS[i % 3]!, proofAt }
    })
    for (const u of users) {
      const attempt = { appId: flushed, platform: 'ios' as const, identity: { userId: u.userId, email: null }, secretId: null, sdkVersion: null }
      if (u.proofAt !== null && u.proofAt !== u.at) buffer.attempt({ ...attempt, at: u.proofAt, outcome: 'verified', appVersion: '0.9.0' })
      buffer.attempt({ ...attempt, at: u.at, outcome: u.outcome, appVersion: u.version })
    }
    await buffer.flush()
    const written = await bulkSeedStatistics(
      data.db,
      seeded,
      'ios',
      users.map((u) => ({
        userKey: userKey({ userId: u.userId, email: null }),
        state: {
          lastAt: new Date(u.at).toISOString(),
          outcome: u.outcome,
          appVersion: u.version,
          sdkVersion: null,
          secretId: null,
          provenAt: u.proofAt === null ? null : new Date(u.proofAt).toISOString(),
          provenAppVersion: u.proofAt === null ? null : u.proofAt === u.at ? u.version : '0.9.0',
          provenSecretId: null,
        },
      })),
    )
    expect(written).toBe(users.length)
    const rows = async (table: 'user_attempts' | 'rollout_counts', appId: string) =>
      (await data.db.selectFrom(table).selectAll().where('app_id', '=', appId).execute())
        .map(({ app_id: _, ...rest }) => JSON.stringify({ ...rest, ...('users' in rest && { users: Number(rest.users) }) }))
        .sort()
    expect(await rows('user_attempts', seeded)).toEqual(await rows('user_attempts', flushed))
    expect(await rows('rollout_counts', seeded)).toEqual(await rows('rollout_counts', flushed))
    expect((await rows('rollout_counts', seeded)).length).toBeGreaterThan(20)
  })

  it('a flush whose chunks mix many apps and platforms writes what flushes of one app and platform at a time write', async () => {
    const apps = async (prefix: string) => Promise.all([0, 1, 2].map(async (i) => (await admin.createApp({ name: `${prefix} ${i}`, environment: 'test' }, 'test')).app.id))
    const mixed = await apps('Mixed')
    const alone = await apps('Alone')
    const platforms = ['web', 'ios', 'android'] as const
    const mixedBuffer = new AuthEventBuffer({ statistics, logger: pino({ level: 'silent' }), diagnose: () => 'unknown' })
    // Two rounds over the same users, so the second moves users between aggregate rows.
    for (const round of [0, 1]) {
      const attempts = Array.from({ length: 3 * 3 * 37 }, (_, i) => {
        const app = i % 3
        const platform = platforms[Math.floor(i / 3) % 3]!
        const outcome = (['verified', 'missing', 'invalid'] as const)[(i + round * 2) % 3]!
        const at = T0 + round * DAY + i * 1_000
        return { app, platform, at, outcome, userId: `mix-${i % 50}`, version: VERSIONS[(i + round) % 3]! }
      })
      const record = (buffer: AuthEventBuffer, appId: string, a: (typeof attempts)[number]) =>
        buffer.attempt({ at: a.at, appId, platform: a.platform, identity: { userId: a.userId, email: null }, outcome: a.outcome, secretId: null, appVersion: a.version, sdkVersion: null })
      for (const a of attempts) record(mixedBuffer, mixed[a.app]!, a)
      await mixedBuffer.flush()
      for (const [app, appId] of alone.entries()) {
        for (const platform of platforms) {
          const buffer = new AuthEventBuffer({ statistics, logger: pino({ level: 'silent' }), diagnose: () => 'unknown' })
          for (const a of attempts.filter((a) => a.app === app && a.platform === platform)) record(buffer, appId, a)
          await buffer.flush()
        }
      }
    }
    const rows = async (table: 'user_attempts' | 'rollout_counts', appId: string) =>
      (await data.db.selectFrom(table).selectAll().where('app_id', '=', appId).execute())
        .map(({ app_id: _, ...rest }) => JSON.stringify({ ...rest, ...('users' in rest && { users: Number(rest.users) }) }))
        .sort()
    for (const i of [0, 1, 2]) {
      expect(await rows('user_attempts', mixed[i]!)).toEqual(await rows('user_attempts', alone[i]!))
      expect(await rows('rollout_counts', mixed[i]!)).toEqual(await rows('rollout_counts', alone[i]!))
    }
    expect((await rows('user_attempts', mixed[0]!)).length).toBeGreaterThan(40)
  })

  it('for random histories of attempts, erasures and retention', async () => {
    await fc.assert(
      fc.asyncProperty(historyArb, async ({ steps, nowGap, retentionDays }) => {
        const { app } = await admin.createApp({ name: 'Equivalence', environment: 'test' }, 'test')
        await admin.rotateSecret(app.id, 'ios', 'test')
        const secretIds = (await admin.listSecrets(app.id, 'ios', 'test')).map((s) => s.id)
        const buffer = new AuthEventBuffer({ statistics, logger: pino({ level: 'silent' }), diagnose: () => 'unknown' })
        // The reference: each user's outcome per day, the day of their stored latest attempt, and
        // every time recorded per version (a flush records each user's latest attempt and proof).
        const daily = new Map<string, Map<string, { at: number; outcome: AttemptOutcome; proven: boolean }>>()
        const latestDay = new Map<string, string>()
        const stored = new Map<string, { latest: number; proof: number | null }>()
        const seen = new Map<string, number[]>()
        const record = (version: string | null, at: number) => seen.set(String(version), [...(seen.get(String(version)) ?? []), at])
        let day = T0
        for (const step of steps) {
          day += step.dayGap * DAY
          const flushed = new Map<string, { latest: [number, string | null]; proof: [number, string | null] | null }>()
          step.attempts.forEach((a, i) => {
            const at = day + step.hour * 3_600_000 + i * 60_000
            const user = USERS[a.user]!
            const version = VERSIONS[a.version]!
            buffer.attempt({ at, appId: app.id, platform: 'ios', identity: { userId: user, email: null }, outcome: a.outcome, secretId: a.outcome === 'verified' ? secretIds[a.secret]! : null, appVersion: version, sdkVersion: null })
            const days = daily.get(user) ?? new Map()
            const today = days.get(dayOf(at)) ?? { at, outcome: a.outcome, proven: false }
            if (at >= today.at) Object.assign(today, { at, outcome: a.outcome })
            if (a.outcome === 'verified') today.proven = true
            days.set(dayOf(at), today)
            daily.set(user, days)
            if ((latestDay.get(user) ?? '') < dayOf(at)) latestDay.set(user, dayOf(at))
            const f = flushed.get(user) ?? { latest: [at, version], proof: null }
            f.latest = [at, version]
            if (a.outcome === 'verified') f.proof = [at, version]
            flushed.set(user, f)
          })
          await buffer.flush()
          // What the flush recorded: each user's latest attempt and proof, where newer than stored.
          for (const [user, f] of flushed) {
            const s = stored.get(user) ?? { latest: -Infinity, proof: null }
            if (f.latest[0] >= s.latest) {
              record(f.latest[1], f.latest[0])
              s.latest = f.latest[0]
            }
            if (f.proof && (s.proof === null || f.proof[0] >= s.proof)) {
              record(f.proof[1], f.proof[0])
              s.proof = f.proof[0]
            }
            stored.set(user, s)
          }
          for (const u of step.erase) {
            const user = USERS[u]!
            await eraseUserAttempts(data.db, app.id, userKey({ userId: user, email: null }))
            const last = latestDay.get(user)
            if (last !== undefined) daily.get(user)!.delete(last)
            latestDay.delete(user)
            stored.delete(user)
          }
        }
        const now = new Date(day + nowGap * DAY + 20 * 3_600_000)
        const compare = async (windows: readonly number[]) => {
          for (const days of windows) {
            const fromCounts = await computeRollout(statistics, (await data.apps.get(app.id))!, 'ios', days, now)
            const expected = await rolloutFromRows(app.id, days, now, secretIds, seen)
            expect({ ...fromCounts, secrets: fromCounts.secrets.map(({ id, users }) => ({ id, users })) }).toEqual({
              ...expected,
              secrets: expected.secrets.map(({ id, users }) => ({ id, users })),
            })
            const series = await dailySeries(statistics, app.id, 'ios', days, now)
            for (const entry of series) {
              const outcomes = [...daily.values()].flatMap((d) => {
                const that = d.get(entry.date)
                return that === undefined ? [] : [that.proven ? 'verified' : that.outcome]
              })
              const count = (o: AttemptOutcome) => outcomes.filter((x) => x === o).length
              expect(entry).toEqual({ date: entry.date, users: outcomes.length, verified: count('verified'), missing: count('missing'), invalid: count('invalid') })
            }
          }
        }
        await compare([1, 2, 7, 30, 90])
        // Retention by whole days: what is left still adds up, for every window it keeps.
        const pruner = new RetentionPruner({ repository: new RetentionRepository(data.db), logger: pino({ level: 'silent' }), retentionDays, now: () => now.getTime() })
        await pruner.runOnce()
        const cutoffDay = dayOf(now.getTime() - retentionDays * DAY)
        for (const days of daily.values()) for (const d of [...days.keys()]) if (d < cutoffDay) days.delete(d)
        await compare([1, retentionDays])
      }),
      { numRuns: backend === 'sqlite' ? 60 : 25 },
    )
  }, 240_000)
})
