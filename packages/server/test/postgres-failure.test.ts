// PostgreSQL goes away under load, then comes back (same data folder, same port). Verity must
// neither fail open nor fall over: /readyz 503 at once, auth served from memory until the
// configuration is too old, then 503 unavailable (never a 401, never a token), admin writes 503,
// everything back without a restart, no acknowledged admin write lost, statistics bounded.
// The 30 s bound is lowered to 3 s with VERITY_CONFIG_MAX_AGE_MS (a test-only setting).
import { randomBytes } from 'node:crypto'
import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AuthEventBuffer } from '../src/services/auth-event-buffer.js'
import { StatisticsRepository } from '../src/storage/statistics-repository.js'
import type { Database } from '../src/storage/schema.js'
import { createTestDatabase, startEmbeddedPostgres, type EmbeddedPostgres } from './support/embedded-postgres.js'
import { hmacHex } from './support/hmac.js'
import { startTestServer, type TestServer } from './support/test-server.js'

const MAX_AGE_MS = 3_000

interface Sample {
  sentAt: number
  status: number
  code?: string
  retryAfter: string | null
  token: boolean
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function until(ms: number, what: string, check: () => Promise<boolean>): Promise<number> {
  const started = Date.now()
  for (;;) {
    if (await check().catch(() => false)) return Date.now() - started
    if (Date.now() - started > ms) throw new Error(`${what}: not within ${ms} ms`)
    await sleep(25)
  }
}

describe('PostgreSQL stops under load and comes back', () => {
  let postgres: EmbeddedPostgres
  let databaseUrl: string
  let server: TestServer

  beforeAll(async () => {
    postgres = await startEmbeddedPostgres() // dedicated: this test stops it
    databaseUrl = await createTestDatabase(postgres.adminUrl)
    server = await startTestServer({
      DATABASE_URL: databaseUrl,
      VERITY_MASTER_KEY: randomBytes(32).toString('hex'),
      VERITY_CONFIG_MAX_AGE_MS: String(MAX_AGE_MS),
      VERITY_DB_CONNECT_TIMEOUT_MS: '1000',
    })
  })
  afterAll(async () => {
    await postgres?.start().catch(() => {}) // so that the last statistics can be written
    await server?.close()
    await postgres?.destroy()
  })

  it('fails closed at the bound, serves from memory before it, recovers, loses no acknowledged write', async () => {
    const app = await server.createApp('outage')
    const hash = hmacHex(app.secrets.web, 'alice')
    const token = (await server.request('POST', '/v1/messenger/auth', { body: { app_id: app.appId, platform: 'web', user_id: 'alice', user_hash: hash } })).body.access_token as string
    expect(await server.request('GET', '/readyz').then((r) => r.status)).toBe(200)

    // Load: auth requests in a loop (4 at a time), and admin writes every 100 ms.
    const samples: Sample[] = []
    const acknowledged: string[] = []
    const adminStatuses: Array<{ status: number; code?: string; retryAfter: string | null }> = []
    let running = true
    let user = 0
    const authLoop = async () => {
      while (running) {
        const sentAt = Date.now()
        const id = `user-${user++ % 50}`
        const res = await server.request('POST', '/v1/messenger/auth', {
          body: { app_id: app.appId, platform: 'web', user_id: id, user_hash: hmacHex(app.secrets.web, id), app_version: '1.0.0' },
        })
        samples.push({ sentAt, status: res.status, code: res.body?.error?.code, retryAfter: res.headers.get('retry-after'), token: typeof res.body?.access_token === 'string' })
        await sleep(5)
      }
    }
    const adminLoop = async () => {
      while (running) {
        const res = await server.admin('POST', `/admin/v1/apps/${app.appId}/platforms/ios/secrets`)
        if (res.status === 201) acknowledged.push(res.body.secret.id)
        adminStatuses.push({ status: res.status, code: res.body?.error?.code, retryAfter: res.headers.get('retry-after') })
        await sleep(100)
      }
    }
    const loops = [authLoop(), authLoop(), authLoop(), authLoop(), adminLoop()]
    try {
      // Warm-up: the load is flowing (an admin write acknowledged, auth answered) before the stop.
      await until(15_000, 'an acknowledged admin write and answered auth under load', async () => acknowledged.length > 0 && samples.some((s) => s.status === 200))

      const stopRequestedAt = Date.now()
      await postgres.stop()
      const stoppedAt = Date.now()

      // Readiness reflects the failed refresh at once (the next poll), long before the bound.
      const readyMs = await until(2_000, '/readyz 503', async () => (await server.request('GET', '/readyz')).status === 503)
      const ready = await server.request('GET', '/readyz')
      expect(ready.headers.get('retry-after')).toBeTruthy()

      // Admin writes: 503 unavailable with Retry-After.
      const write = await server.admin('PATCH', `/admin/v1/apps/${app.appId}/platforms/web`, { enforced: true })
      expect(write.status).toBe(503)
      expect(write.body.error.code).toBe('unavailable')
      expect(write.headers.get('retry-after')).toBeTruthy()

      // Statistics pile up in memory (bounded) while they cannot be written.
      const during = await (await fetch(`${server.url}/metrics`)).text()
      expect(metric(during, 'verity_ready')).toBe(0)
      expect(metric(during, 'verity_database_errors_total{source="config_refresh"}')).toBeGreaterThan(0)
      expect(metric(during, 'verity_auth_statistics_buffered')).toBeGreaterThan(0)
      expect(metric(during, 'verity_config_listener_connected')).toBe(0)

      // The bound: once passed, auth answers 503 unavailable.
      await until(MAX_AGE_MS + 2_000, 'auth 503 unavailable', async () => samples.at(-1)?.status === 503)
      const me = await server.request('GET', '/v1/messenger/me', { token })
      expect(me.status).toBe(503)
      expect(me.body.error.code).toBe('unavailable')
      await sleep(300)
      const stoppedFor = Date.now() - stoppedAt

      await postgres.start() // same data folder, same port
      const restartedAt = Date.now()
      const recoveryMs = await until(8_000, '/readyz 200 again', async () => (await server.request('GET', '/readyz')).status === 200)
      await until(3_000, 'auth 200 again', async () => samples.at(-1)?.status === 200)
      await sleep(300)
      running = false
      await Promise.all(loops)

      const outage = samples.filter((s) => s.sentAt >= stoppedAt && s.sentAt < restartedAt)
      // Never a 401 (it would blame the customer's hash), only 200 or 503 throughout.
      expect(samples.filter((s) => s.status !== 200 && s.status !== 503)).toEqual([])
      // Served from memory while the configuration was confirmed within the bound...
      expect(outage.filter((s) => s.status === 200 && s.sentAt - stoppedAt >= 1_000).length).toBeGreaterThan(0)
      // ...and never a token past it: the last confirmation happened before the stop.
      const late = outage.filter((s) => s.sentAt > stoppedAt + MAX_AGE_MS)
      expect(late.length).toBeGreaterThan(0)
      expect(late.filter((s) => s.status !== 503 || s.token)).toEqual([])
      for (const s of outage.filter((s) => s.status === 503)) {
        expect(s.code).toBe('unavailable')
        expect(s.retryAfter).toBeTruthy()
      }
      // Admin writes during the outage: 503 unavailable, never anything else.
      for (const s of adminStatuses.filter((s) => s.status !== 201)) {
        expect(s).toMatchObject({ status: 503, code: 'unavailable' })
        expect(s.retryAfter).toBeTruthy()
      }
      expect(adminStatuses.some((s) => s.status === 503)).toBe(true)

      // No acknowledged write lost: every rotation answered 201 is stored.
      const stored = await server.admin('GET', `/admin/v1/apps/${app.appId}/platforms/ios/secrets`)
      expect(stored.status).toBe(200)
      const storedIds = new Set(stored.body.secrets.map((s: { id: string }) => s.id))
      for (const id of acknowledged) expect(storedIds.has(id)).toBe(true)

      // Everything resumes without a restart: writes, tokens, statistics written after all.
      expect((await server.admin('PATCH', `/admin/v1/apps/${app.appId}/platforms/web`, { enforced: true })).status).toBe(200)
      expect((await server.request('GET', '/v1/messenger/me', { token })).status).toBe(200)
      await until(5_000, 'listener back', async () => server.running.listener!.connected)
      await server.running.events.flush()
      const rollout = await server.admin('GET', `/admin/v1/apps/${app.appId}/platforms/web/rollout`)
      expect(rollout.body.totals.users).toBe(Math.min(50, user) + 1) // alice and user-0..49
      const after = await (await fetch(`${server.url}/metrics`)).text()
      expect(metric(after, 'verity_ready')).toBe(1)
      expect(metric(after, 'verity_auth_statistics_buffered')).toBe(0)
      expect(metric(after, 'verity_auth_statistics_dropped_total')).toBe(0)
      console.info(`outage ${stoppedFor} ms (stop took ${stoppedAt - stopRequestedAt} ms); ${outage.length} auth requests during it; readyz 503 after ${readyMs} ms; ready again ${recoveryMs} ms after the restart; ${acknowledged.length} acknowledged writes kept`)
    } finally {
      running = false
      await Promise.all(loops)
    }
  })

  it('bounds buffered statistics while the database is down, counts what it drops, writes the rest later', async () => {
    const pool = new pg.Pool({ connectionString: databaseUrl, connectionTimeoutMillis: 1_000 })
    pool.on('error', () => {})
    pool.on('connect', (client) => client.on('error', () => {}))
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
    const buffer = new AuthEventBuffer({ statistics: new StatisticsRepository(db), logger: pino({ level: 'silent' }), diagnose: () => 'unknown', maxPendingAttempts: 3, maxPendingFailures: 2 })
    const appId = (await server.createApp('bounded')).appId
    try {
      await postgres.stop()
      for (let i = 0; i < 5; i++) {
        const identity = { userId: `bounded-${i}`, email: null }
        buffer.attempt({ at: Date.now(), appId, platform: 'web', identity, outcome: 'missing', secretId: null, appVersion: null, sdkVersion: null })
        buffer.failure({ at: Date.now(), appId, platform: 'web', identity, appVersion: null, refused: false, code: 'user_hash_invalid', proof: null, tokenFailure: null })
      }
      expect(buffer.dropped).toBe(2 + 3)
      await expect(buffer.flush()).rejects.toThrow()
      expect(buffer.pending).toBe(3 + 2) // put back, still within the bounds
      expect(buffer.dropped).toBe(5)
      await postgres.start()
      await buffer.flush()
      expect(buffer.pending).toBe(0)
      const rows = await db.selectFrom('user_attempts').select('user_key').where('app_id', '=', appId).execute()
      expect(rows).toHaveLength(3)
    } finally {
      await postgres.start()
      await db.destroy()
    }
  })
})

/** The value of one sample line (`name` includes its labels, if any). */
function metric(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `))
  if (!line) throw new Error(`no metric ${name} in:\n${text}`)
  return Number(line.slice(name.length + 1))
}
