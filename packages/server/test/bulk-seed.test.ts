// The bulk loader over many statements: on PostgreSQL each statement is sent while the next users
// are gathered, so what a benchmark or an import relies on is that every user arrives once, the
// counts match them, and a failing statement fails the load instead of vanishing.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseStorageConfig } from '../src/config/server-config.js'
import { migrateToLatest } from '../src/storage/migrate.js'
import { openDatabase, type OpenDatabase } from '../src/storage/open-database.js'
import { bulkSeedStatistics } from '../src/storage/seed-statistics.js'
import type { AttemptWrite } from '../src/storage/statistics-repository.js'
import { BACKENDS } from './support/backends.js'
import { freshPostgresDatabase } from './support/postgres-database.js'

/** More than two statements' worth on either database (10,000 users per transaction). */
const USERS = 25_001

const user = (i: number): AttemptWrite => {
  const at = new Date(Date.UTC(2026, 2, 1 + (i % 3), 10, 0, 0, i % 1000)).toISOString()
  return {
    userKey: `user-${String(i).padStart(6, '0')}`,
    state: { lastAt: at, outcome: i % 2 === 0 ? 'verified' : 'missing', appVersion: '1.0.0', sdkVersion: null, secretId: null, provenAt: i % 2 === 0 ? at : null, provenAppVersion: i % 2 === 0 ? '1.0.0' : null, provenSecretId: null },
  }
}

describe.each(BACKENDS)('the bulk loader over many statements (%s)', (backend) => {
  let dir: string
  let database: OpenDatabase
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'verity-bulk-'))
    database = openDatabase(parseStorageConfig({ dataDir: dir, ...(backend === 'postgres' && { databaseUrl: await freshPostgresDatabase() }) }, {}))
    expect((await migrateToLatest(database.db)).error).toBeUndefined()
  })
  afterAll(async () => {
    await database.close()
    rmSync(dir, { recursive: true, force: true })
  })

  const usersOf = async (appId: string) => Number((await database.db.selectFrom('user_attempts').select((eb) => eb.fn.countAll().as('n')).where('app_id', '=', appId).executeTakeFirstOrThrow()).n)
  const latestCount = async (appId: string) =>
    Number((await database.db.selectFrom('rollout_counts').select((eb) => eb.fn.sum<number>('users').as('n')).where('app_id', '=', appId).where('series', '=', 'latest').executeTakeFirstOrThrow()).n)

  it('writes every user once, and counts each of them', async () => {
    const written = await bulkSeedStatistics(database.db, 'app_many', 'web', Array.from({ length: USERS }, (_, i) => user(i)))
    expect(written).toBe(USERS)
    expect(await usersOf('app_many')).toBe(USERS)
    expect(await latestCount('app_many')).toBe(USERS)
    const last = await database.db.selectFrom('user_attempts').select('last_at').where('app_id', '=', 'app_many').where('user_key', '=', user(USERS - 1).userKey).executeTakeFirst()
    expect(last?.last_at).toBe(user(USERS - 1).state.lastAt)
  })

  it('fails the load when a later statement fails, and writes no counts', async () => {
    // The key of user 3 again, in the second statement: the primary key refuses it.
    const users = Array.from({ length: USERS }, (_, i) => (i === 15_000 ? user(3) : user(i)))
    await expect(bulkSeedStatistics(database.db, 'app_broken', 'web', users)).rejects.toThrow(/unique|duplicate/i)
    expect(await latestCount('app_broken')).toBe(0)
    // The statements before the failing one are written: a load into a fresh app is started again.
    expect(await usersOf('app_broken')).toBeGreaterThanOrEqual(10_000)
  })
})
