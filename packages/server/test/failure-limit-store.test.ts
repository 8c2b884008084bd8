// The failure limit's shared count on PostgreSQL (table failure_limits, migration 0004): one
// statement checks and counts, so concurrent refusals never overshoot; rows go once stale; and
// while the database cannot answer, the process counts alone. SQLite has no such table: one
// machine counts in memory (or in the primary of `serve --workers`), which serve-workers.test.ts
// and abuse-limits.test.ts exercise on both backends.
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseStorageConfig } from '../src/config/server-config.js'
import { DatabaseFailureLimit } from '../src/limits/database-failure-limit.js'
import { FailureWindow } from '../src/limits/failure-window.js'
import { openVerityData, type VerityData } from '../src/runtime/open-verity-data.js'
import { FailureLimitRepository } from '../src/storage/failure-limit-repository.js'
import { freshPostgresDatabase } from './support/postgres-database.js'

describe('the failure limit on PostgreSQL', () => {
  let dir: string
  let env: Record<string, string>
  let first: VerityData
  let second: VerityData

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'verity-limit-'))
    env = { DATABASE_URL: await freshPostgresDatabase(), VERITY_MASTER_KEY: randomBytes(32).toString('hex') }
    first = await openVerityData(parseStorageConfig({ dataDir: dir }, env))
    second = await openVerityData(parseStorageConfig({ dataDir: dir }, env))
  })
  afterAll(async () => {
    await first?.close()
    await second?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('counts exactly `limit` of many concurrent refusals through two pools, then answers how long to wait', async () => {
    const stores = [first, second].map((data) => new FailureLimitRepository(data.db, { limit: 7, windowMs: 60_000 }))
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => stores[i % 2]!.refuse('same-key')))
    expect(answers.filter((a) => a.counted)).toHaveLength(7)
    for (const answer of answers.filter((a) => !a.counted)) {
      expect(answer.retryAfterMs).toBeGreaterThan(55_000)
      expect(answer.retryAfterMs).toBeLessThanOrEqual(60_000)
    }
    expect((await stores[0]!.refuse('another-key')).counted).toBe(true)
  })

  it('counts a refusal again once the oldest has left the window, and prunes rows that no longer count', async () => {
    const store = new FailureLimitRepository(first.db, { limit: 2, windowMs: 300 })
    expect((await store.refuse('short')).counted).toBe(true)
    expect((await store.refuse('short')).counted).toBe(true)
    expect((await store.refuse('short')).counted).toBe(false)
    await new Promise((r) => setTimeout(r, 350))
    expect((await store.refuse('short')).counted).toBe(true)
    await store.refuse('stale')
    await new Promise((r) => setTimeout(r, 350))
    expect(await store.prune()).toBeGreaterThanOrEqual(2)
    const left = await first.db.selectFrom('failure_limits').select('key').where('key', 'in', ['short', 'stale']).execute()
    expect(left).toEqual([])
  })

  it('answers a locked identifier from memory until its wait ends, and counts alone while the database is away', async () => {
    const data = await openVerityData(parseStorageConfig({ dataDir: dir }, env))
    const errors: unknown[] = []
    const limit = new DatabaseFailureLimit({
      store: new FailureLimitRepository(data.db, { limit: 2, windowMs: 60_000 }),
      fallback: new FailureWindow({ limit: 2 }),
      onError: (error) => errors.push(error),
    })
    const now = Date.now()
    expect(await limit.refuse('app\u0000web\u0000uid:nul-in-key', now)).toBe(0)
    expect(await limit.refuse('app\u0000web\u0000uid:nul-in-key', now)).toBe(0)
    expect(await limit.refuse('app\u0000web\u0000uid:nul-in-key', now)).toBeGreaterThan(0)
    await data.close()
    // Locked: known here, no database needed.
    expect(await limit.refuse('app\u0000web\u0000uid:nul-in-key', now + 1)).toBeGreaterThan(0)
    expect(errors).toEqual([])
    // Anything else: the database cannot answer, this process counts alone.
    expect(await limit.refuse('app\u0000web\u0000uid:other', now)).toBe(0)
    expect(await limit.refuse('app\u0000web\u0000uid:other', now)).toBe(0)
    expect(await limit.refuse('app\u0000web\u0000uid:other', now)).toBeGreaterThan(0)
    expect(errors.length).toBe(3)
  })
})
