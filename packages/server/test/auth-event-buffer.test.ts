// The statistics flush writes many rows per statement (hand-written SQL for the two busy
// statements): the same results as one statement per row, on SQLite and on PostgreSQL.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseStorageConfig } from '../src/config/server-config.js'
import { openVerityData, type VerityData } from '../src/runtime/open-verity-data.js'
import { AppAdmin } from '../src/services/app-admin.js'
import { AuthEventBuffer, FAILURES_KEPT_PER_APP, userKey } from '../src/services/auth-event-buffer.js'
import { StatisticsRepository } from '../src/storage/statistics-repository.js'
import type { AuthFailureEvent } from '../src/verification/auth-events.js'
import { BACKENDS, backendEnv } from './support/backends.js'

const T0 = Date.parse('2026-03-01T10:00:00.000Z')
const iso = (ms: number) => new Date(ms).toISOString()

describe.each(BACKENDS)('statistics flush on %s', (backend) => {
  let dir: string
  let data: VerityData
  let appId: string
  let secretIds: string[]
  let buffer: AuthEventBuffer

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'verity-flush-'))
    data = await openVerityData(parseStorageConfig({ dataDir: dir }, await backendEnv(backend)))
    const admin = new AppAdmin({ db: data.db, apps: data.apps, onChange: async () => {} })
    const created = await admin.createApp({ name: 'Flush', environment: 'test' }, 'test')
    appId = created.app.id
    await admin.rotateSecret(appId, 'ios', 'test')
    secretIds = (await admin.listSecrets(appId, 'ios', 'test')).map((s) => s.id)
    buffer = new AuthEventBuffer({ statistics: new StatisticsRepository(data.db), logger: pino({ level: 'silent' }), diagnose: () => 'unknown' })
  })
  afterAll(async () => {
    await data?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  const attempt = (userId: string, at: number, secretId: string | null, outcome: 'verified' | 'missing' | 'invalid' = 'verified') =>
    buffer.attempt({ at, appId, platform: 'ios', identity: { userId, email: null }, outcome, secretId, appVersion: '2.0.0', sdkVersion: null })

  it('writes the latest attempt of each of hundreds of users, and never lets an older one win', async () => {
    for (let i = 0; i < 250; i++) attempt(`user-${i}`, T0 + i, secretIds[0]!)
    attempt('user-7', T0 + 1_000, secretIds[0]!, 'invalid') // the same user again: the latest counts
    await buffer.flush()
    const rows = await data.db.selectFrom('user_attempts').selectAll().where('app_id', '=', appId).execute()
    expect(rows).toHaveLength(250)
    const seven = rows.find((r) => r.user_key === userKey({ userId: 'user-7', email: null }))!
    expect([seven.last_at, seven.outcome, seven.app_version]).toEqual([iso(T0 + 1_000), 'invalid', '2.0.0'])

    attempt('user-7', T0 + 500, secretIds[0]!, 'missing') // arrives late, from before the stored one
    attempt('user-8', T0 + 2_000, secretIds[0]!, 'missing')
    await buffer.flush()
    const after = await data.db.selectFrom('user_attempts').selectAll().where('app_id', '=', appId).execute()
    const byKey = new Map(after.map((r) => [r.user_key, r]))
    expect(byKey.get(userKey({ userId: 'user-7', email: null }))!.outcome).toBe('invalid')
    expect(byKey.get(userKey({ userId: 'user-8', email: null }))!.outcome).toBe('missing')
  })

  it('keeps the latest valid proof beside the latest attempt: unproven attempts never erase it, in one flush or across flushes', async () => {
    const [a, b] = secretIds as [string, string]
    const row = async (userId: string) =>
      data.db.selectFrom('user_attempts').selectAll().where('app_id', '=', appId).where('user_key', '=', userKey({ userId, email: null })).executeTakeFirstOrThrow()
    const columns = (r: Awaited<ReturnType<typeof row>>) => [r.last_at, r.outcome, r.proven_at, r.proven_secret_id]

    attempt('p-1', T0 + 10, a) // proven, then unproven in the same batch
    attempt('p-1', T0 + 20, null, 'invalid')
    attempt('p-2', T0 + 10, null, 'missing') // never proven
    await buffer.flush()
    expect(columns(await row('p-1'))).toEqual([iso(T0 + 20), 'invalid', iso(T0 + 10), a])
    expect(columns(await row('p-2'))).toEqual([iso(T0 + 10), 'missing', null, null])

    attempt('p-1', T0 + 30, null, 'missing') // a later batch without a proof
    attempt('p-2', T0 + 30, b) // proven at last
    await buffer.flush()
    expect(columns(await row('p-1'))).toEqual([iso(T0 + 30), 'missing', iso(T0 + 10), a])
    expect(columns(await row('p-2'))).toEqual([iso(T0 + 30), 'verified', iso(T0 + 30), b])

    attempt('p-1', T0 + 5, b) // an older proof, arriving late: neither the attempt nor the proof moves back
    await buffer.flush()
    expect(columns(await row('p-1'))).toEqual([iso(T0 + 30), 'missing', iso(T0 + 10), a])
    attempt('p-1', T0 + 40, b) // a newer proof moves both
    await buffer.flush()
    expect(columns(await row('p-1'))).toEqual([iso(T0 + 40), 'verified', iso(T0 + 40), b])
  })

  it("writes each secret's first use at once, then at most once a minute, and never moves it back", async () => {
    const [a, b] = secretIds as [string, string]
    const lastUsed = async () =>
      Object.fromEntries((await data.db.selectFrom('secrets').select(['id', 'last_used_at']).where('id', 'in', [a, b]).execute()).map((r) => [r.id, r.last_used_at]))
    // (a was last written at T0 + 1 s by the test above.)
    attempt('s-1', T0 + 120_000, a)
    attempt('s-2', T0 + 130_000, b)
    await buffer.flush()
    expect(await lastUsed()).toEqual({ [a]: iso(T0 + 120_000), [b]: iso(T0 + 130_000) })
    attempt('s-3', T0 + 100_000, a) // older than what is stored
    attempt('s-4', T0 + 150_000, b) // within the minute: not written yet
    await buffer.flush()
    expect(await lastUsed()).toEqual({ [a]: iso(T0 + 120_000), [b]: iso(T0 + 130_000) })
    attempt('s-5', T0 + 190_000, b) // a minute on: written
    await buffer.flush()
    expect(await lastUsed()).toEqual({ [a]: iso(T0 + 120_000), [b]: iso(T0 + 190_000) })
  })

  it('lets other queries run while it writes thousands of users: no transaction holds the database for the whole flush', async () => {
    // On SQLite one connection serves every request: a flush inside one transaction made each
    // request that touched storage wait until the last of its statements had committed.
    for (let i = 0; i < 3_000; i++) attempt(`busy-${i}`, T0 + i, secretIds[0]!)
    const finished: string[] = []
    const flushing = buffer.flush().then(() => finished.push('flush'))
    await new Promise((resolve) => setImmediate(resolve)) // the flush is under way
    const read = data.db.selectFrom('apps').select('id').where('id', '=', appId).executeTakeFirstOrThrow().then(() => finished.push('read'))
    await Promise.all([flushing, read])
    expect(finished).toEqual(['read', 'flush'])
    const written = await data.db.selectFrom('user_attempts').select((eb) => eb.fn.countAll<number>().as('n')).where('app_id', '=', appId).where('user_key', 'in', [userKey({ userId: 'busy-0', email: null }), userKey({ userId: 'busy-2999', email: null })]).executeTakeFirstOrThrow()
    expect(Number(written.n)).toBe(2)
  })

  it('keeps the newest failures of an app, as many as the log holds', async () => {
    const failure = (i: number): AuthFailureEvent => ({
      at: T0 + i,
      appId,
      platform: 'ios',
      identity: { userId: `f-${i}`, email: null },
      appVersion: null,
      refused: true,
      code: 'user_hash_invalid',
      proof: { type: 'user_hash', value: 'f'.repeat(64) },
      tokenFailure: null,
    })
    const count = FAILURES_KEPT_PER_APP + 150
    for (let i = 0; i < count; i++) buffer.failure(failure(i))
    await buffer.flush()
    const rows = await data.db.selectFrom('failures').select(['user_id']).where('app_id', '=', appId).execute()
    expect(rows).toHaveLength(FAILURES_KEPT_PER_APP)
    const kept = new Set(rows.map((r) => r.user_id))
    expect(kept.has(`f-${count - 1}`)).toBe(true)
    expect(kept.has('f-149')).toBe(false)
    expect(kept.has('f-150')).toBe(true)
  })

  it('drops (and logs) only the chunk the database refuses, writes the others of the same flush, then the next flush', async () => {
    const lines: string[] = []
    const logger = pino({ level: 'error' }, { write: (line: string) => void lines.push(line) })
    const refusing = new AuthEventBuffer({ statistics: new StatisticsRepository(data.db), logger, diagnose: () => 'unknown' })
    // Rows no database accepts (platform is NOT NULL): a failure, and an attempt whose chunk (its
    // app and platform) is refused; the attempt of another platform in the same flush is written.
    refusing.failure({ at: T0, appId, platform: null as never, identity: { userId: 'refused-1', email: null }, appVersion: null, refused: true, code: 'user_hash_invalid', proof: { type: 'user_hash', value: 'f'.repeat(64) }, tokenFailure: null })
    refusing.attempt({ at: T0, appId, platform: null as never, identity: { userId: 'refused-2', email: null }, outcome: 'invalid', secretId: null, appVersion: '1', sdkVersion: null })
    refusing.attempt({ at: T0, appId, platform: 'web', identity: { userId: 'same-flush', email: null }, outcome: 'missing', secretId: null, appVersion: '2.5.0', sdkVersion: null })
    await refusing.flush()
    expect([refusing.pending, refusing.dropped]).toEqual([0, 2])
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual(['the database refused a batch of auth statistics; dropped it', 'the database refused a batch of auth statistics; dropped it'])
    expect(lines.join('')).not.toContain('refused-1')
    const written = await data.db.selectFrom('user_attempts').select('app_version').where('user_key', '=', userKey({ userId: 'same-flush', email: null })).executeTakeFirst()
    expect(written?.app_version).toBe('2.5.0')

    refusing.attempt({ at: T0 + 1, appId, platform: 'ios', identity: { userId: 'after-refusal', email: null }, outcome: 'verified', secretId: null, appVersion: '3.0.0', sdkVersion: null })
    await refusing.flush()
    const row = await data.db.selectFrom('user_attempts').select('app_version').where('user_key', '=', userKey({ userId: 'after-refusal', email: null })).executeTakeFirst()
    expect(row?.app_version).toBe('3.0.0')
    expect(refusing.dropped).toBe(2)
  })

  if (backend === 'postgres') {
    it('drops a batch with a NUL in text on PostgreSQL (22021) instead of retrying it', async () => {
      const refusing = new AuthEventBuffer({ statistics: new StatisticsRepository(data.db), logger: pino({ level: 'silent' }), diagnose: () => 'unknown' })
      refusing.attempt({ at: T0, appId, platform: 'ios', identity: { userId: 'nul-version', email: null }, outcome: 'missing', secretId: null, appVersion: 'a\u0000b', sdkVersion: null })
      await refusing.flush()
      expect([refusing.pending, refusing.dropped]).toEqual([0, 1])
    })
  }
})
