// Migration 0011 turns existing statistics rows into the rollout's counts: the same counts the
// statistics writer keeps (its bulk loader writes them for the same users), and a daily series
// that starts with each user's latest day.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Migrator } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseStorageConfig } from '../src/config/server-config.js'
import { migrateToLatest } from '../src/storage/migrate.js'
import { MIGRATIONS } from '../src/storage/migrations/index.js'
import { openDatabase } from '../src/storage/open-database.js'
import { bulkSeedStatistics } from '../src/storage/seed-statistics.js'
import { BACKENDS, type Backend } from './support/backends.js'
import { freshPostgresDatabase } from './support/postgres-database.js'

describe.each(BACKENDS)('migration 0011-rollout-counts on existing statistics (%s)', (backend) => {
  let dir: string
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'verity-counts-'))
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  async function storage(b: Backend) {
    return parseStorageConfig({ dataDir: dir, ...(b === 'postgres' && { databaseUrl: await freshPostgresDatabase() }) }, {})
  }

  it('counts every user as the statistics writer would', async () => {
    const database = openDatabase(await storage(backend))
    try {
      const migrator = new Migrator({ db: database.db, provider: { getMigrations: async () => MIGRATIONS }, migrationTableName: 'verity_migrations', migrationLockTableName: 'verity_migrations_lock' })
      expect((await migrator.migrateTo('0010-alerts')).error).toBeUndefined()
      const day = (n: number, hour = 10) => `2026-03-0${n}T${hour}:00:00.000Z`
      // [key, last_at, outcome, version, proven_at, proven version, proven secret]
      const users = [
        ['a', day(1), 'verified', '2.0.0', day(1), '2.0.0', 'sec_1'],
        ['b', day(2), 'missing', '1.9.0', null, null, null],
        ['c', day(2, 12), 'invalid', '2.0.0', day(2, 9), '2.0.0', 'sec_2'],
        ['d', day(3), 'missing', null, day(1), '1.9.0', 'sec_1'],
        ['e', day(3), 'verified', null, day(3), null, null],
      ] as const
      const row = ([key, last, outcome, version, provenAt, provenVersion, provenSecret]: (typeof users)[number], appId: string) => ({
        app_id: appId,
        platform: 'web',
        user_key: key,
        last_at: last,
        outcome,
        app_version: version,
        sdk_version: null,
        secret_id: outcome === 'verified' ? provenSecret : null,
        proven_at: provenAt,
        proven_app_version: provenVersion,
        proven_secret_id: provenSecret,
      })
      await database.db.insertInto('user_attempts').values(users.map((u) => row(u, 'app_migrated'))).execute()
      const report = await migrateToLatest(database.db)
      expect([report.error, report.applied]).toEqual([undefined, ['0011-rollout-counts', '0012-drop-window-index']])

      await bulkSeedStatistics(
        database.db,
        'app_written',
        'web',
        users.map((u) => {
          const r = row(u, 'app_written')
          return { userKey: r.user_key, state: { lastAt: r.last_at, outcome: r.outcome, appVersion: r.app_version, sdkVersion: null, secretId: r.secret_id, provenAt: r.proven_at, provenAppVersion: r.proven_app_version, provenSecretId: r.proven_secret_id } }
        }),
      )
      const counts = async (appId: string) =>
        (await database.db.selectFrom('rollout_counts').select(['series', 'day', 'key', 'outcome', 'users', 'last_seen_at']).where('app_id', '=', appId).execute())
          .map((r) => ({ ...r, users: Number(r.users) }))
          .sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)))
      const migrated = await counts('app_migrated')
      const written = await counts('app_written')
      expect(migrated.filter((r) => r.series !== 'daily')).toEqual(written.filter((r) => r.series !== 'daily'))
      expect(migrated.filter((r) => r.series !== 'daily').length).toBeGreaterThan(10)
      // The daily series: each user on their latest day, verified where a proof was that day too
      // (c proved it on day 2 before an invalid attempt; d's proof was on an earlier day).
      expect(migrated.filter((r) => r.series === 'daily').map((r) => [r.day, r.outcome, r.users])).toEqual([
        ['2026-03-01', 'verified', 1],
        ['2026-03-02', 'missing', 1],
        ['2026-03-02', 'verified', 1],
        ['2026-03-03', 'missing', 1],
        ['2026-03-03', 'verified', 1],
      ])
    } finally {
      await database.close()
    }
  })
})
