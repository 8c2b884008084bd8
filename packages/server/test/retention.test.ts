// Retention (API.md, "Operations and data lifecycle"): failures and rollout statistics older than
// VERITY_RETENTION_DAYS go in the background, in small batches; recent ones and conversations stay.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { newId } from '../src/crypto/random-ids.js'
import { RetentionRepository } from '../src/storage/retention-prune.js'
import { BACKENDS, startBackendServer } from './support/backends.js'
import { verifiedSession } from './support/messenger-sessions.js'
import { runVerity } from './support/run-cli.js'
import type { TestServer } from './support/test-server.js'

const DAY = 86_400_000
const RETENTION_DAYS = 30

describe.each(BACKENDS)('retention (%s)', (backend) => {
  let server: TestServer
  const logLines: string[] = []
  beforeAll(async () => {
    // The pass runs every 200 ms here (10 minutes by default): the test waits for the timer, never calls it.
    server = await startBackendServer(backend, { VERITY_RETENTION_DAYS: String(RETENTION_DAYS) }, { logLines, retentionIntervalMs: 200 })
  })
  afterAll(() => server?.close())

  it('deletes failures and statistics older than VERITY_RETENTION_DAYS in batches; recent rows and conversations stay', async () => {
    const db = server.running.data.db
    const app = await server.createApp('Retention')
    const session = await verifiedSession(server, app.appId, app.secrets.web, { userId: 'recent-user' })
    expect((await server.request('POST', '/v1/messenger/conversations', { token: session.token, body: { body: 'kept until erased' } })).status).toBe(201)
    await server.running.events.flush()
    const now = Date.now()
    const at = (daysAgo: number) => new Date(now - daysAgo * DAY).toISOString()
    const failure = (daysAgo: number, i: number) => ({
      id: newId('fail', now - daysAgo * DAY),
      app_id: app.appId,
      platform: 'web',
      at: at(daysAgo),
      user_id: `user-${daysAgo}-${i}`,
      email: null,
      app_version: null,
      refused: 0,
      code: 'user_hash_invalid',
      diagnosis: 'unknown',
    })
    const attempt = (daysAgo: number, i: number) => ({
      app_id: app.appId,
      platform: 'ios',
      user_key: `key-${daysAgo}-${i}`,
      last_at: at(daysAgo),
      outcome: 'missing',
      app_version: '1.0',
      sdk_version: null,
      secret_id: null,
      proven_at: null,
      proven_app_version: null,
      proven_secret_id: null,
    })
    const batch = new RetentionRepository(db).rowsPerStatement
    const oldFailures = Array.from({ length: 2 * batch + 200 }, (_, i) => failure(RETENTION_DAYS + 5, i))
    const recentFailures = Array.from({ length: 5 }, (_, i) => failure(RETENTION_DAYS - 1, i))
    // One transaction: a pass sees all the old rows or none.
    await db.transaction().execute(async (trx) => {
      for (let i = 0; i < oldFailures.length; i += 100) await trx.insertInto('failures').values(oldFailures.slice(i, i + 100)).execute()
      await trx.insertInto('failures').values(recentFailures).execute()
      await trx.insertInto('user_attempts').values([attempt(RETENTION_DAYS + 1, 0), attempt(RETENTION_DAYS + 400, 1), attempt(RETENTION_DAYS - 1, 2), attempt(1, 3)]).execute()
      await trx.insertInto('sign_outs').values([
        { app_id: app.appId, user_key: 'signed-out-long-ago', signed_out_before: at(2), revision: 0 },
        { app_id: app.appId, user_key: 'signed-out-today', signed_out_before: at(0.01), revision: 0 },
      ]).execute()
    })

    const deadline = Date.now() + 10_000
    const count = async (table: 'failures' | 'user_attempts' | 'sign_outs') =>
      Number((await db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).where('app_id', '=', app.appId).executeTakeFirstOrThrow()).n)
    while ((await count('failures')) > recentFailures.length || (await count('user_attempts')) > 3 || (await count('sign_outs')) > 1) {
      if (Date.now() > deadline) throw new Error(`old rows still there: ${await count('failures')} failures, ${await count('user_attempts')} statistics`)
      await new Promise((r) => setTimeout(r, 50))
    }
    const failures = await db.selectFrom('failures').select('at').where('app_id', '=', app.appId).execute()
    expect(failures.map((f) => f.at).sort()).toEqual(recentFailures.map((f) => f.at).sort())
    const statistics = await db.selectFrom('user_attempts').select('user_key').where('app_id', '=', app.appId).orderBy('user_key').execute()
    // The real user's row (written by the session above) stays with the recent ones.
    expect(statistics.map((s) => s.user_key)).toEqual(expect.arrayContaining(['key-1-3', `key-${RETENTION_DAYS - 1}-2`]))
    expect(statistics).toHaveLength(3)
    expect((await db.selectFrom('sign_outs').select('user_key').where('app_id', '=', app.appId).execute()).map((r) => r.user_key)).toEqual(['signed-out-today'])
    const conversations = await server.admin('GET', `/admin/v1/apps/${app.appId}/conversations`)
    expect(conversations.body.conversations).toHaveLength(1)

    // The old failures went in one pass of bounded batches, not one statement.
    const passes = logLines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'retention: old rows deleted')
    const pass = passes.find((p) => p.failures === oldFailures.length)
    expect(pass).toMatchObject({ retentionDays: RETENTION_DAYS })
    // A pass that began before the rows were committed may see them only in its later steps, so the
    // two old statistics rows can fall to the next pass: counted over all passes.
    expect(passes.reduce((n, p) => n + p.statistics, 0)).toBe(2)
    expect(pass.batches).toBeGreaterThanOrEqual(Math.ceil(oldFailures.length / batch) + 2)
    console.info(`[${backend}] retention pass: ${JSON.stringify({ failures: pass.failures, statistics: pass.statistics, sign_outs: pass.sign_outs, batches: pass.batches })}`)
  })
})

describe('VERITY_RETENTION_DAYS at start-up', () => {
  it('a bad value stops `verity serve`, naming the flag and the variable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'verity-retention-'))
    try {
      const flag = await runVerity(['serve', '--port', '0', '--retention-days', '0'], { env: { VERITY_DATA_DIR: dir } })
      expect(flag.code).toBe(3)
      expect(flag.stderr).toContain('Invalid retention (days): 0 from --retention-days (command line) is outside 1–36500. Set --retention-days or VERITY_RETENTION_DAYS.')
      const variable = await runVerity(['serve', '--port', '0'], { env: { VERITY_DATA_DIR: dir, VERITY_RETENTION_DAYS: 'forever' } })
      expect(variable.code).toBe(3)
      expect(variable.stderr).toContain('"forever" from VERITY_RETENTION_DAYS (environment) is not a whole number')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
