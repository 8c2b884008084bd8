// Two Verity instances on one PostgreSQL: a configuration change made through one takes effect on
// the other within 2 s (LISTEN/NOTIFY at once, the 1 s revision poll as the safety net).
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LISTENER_APPLICATION_NAME } from '../src/config-cache/postgres-change-listener.js'
import { hmacHex } from './support/hmac.js'
import { runVerity } from './support/run-cli.js'
import { openEventStream } from './support/sse-client.js'
import { freshPostgresDatabase } from './support/postgres-database.js'
import { within } from './support/within.js'
import { startTestServer, type TestServer } from './support/test-server.js'

const PROPAGATION_MS = 2_000

const kidOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).kid as string

describe('two instances on one PostgreSQL', () => {
  let databaseUrl: string
  let masterKey: string
  let a: TestServer
  let b: TestServer

  beforeAll(async () => {
    databaseUrl = await freshPostgresDatabase()
    masterKey = randomBytes(32).toString('hex')
    const env = { DATABASE_URL: databaseUrl, VERITY_MASTER_KEY: masterKey }
    a = await startTestServer(env)
    b = await startTestServer(env)
  })
  afterAll(async () => {
    await b?.close()
    await a?.close()
  })

  const auth = (server: TestServer, body: Record<string, unknown>) =>
    server.request('POST', '/v1/messenger/auth', { body: { platform: 'web', ...body } })

  it('both listen for changes', () => {
    expect(a.running.listener?.connected).toBe(true)
    expect(b.running.listener?.connected).toBe(true)
  })

  it('the failure limit holds exactly across instances: refusals on A and on B add up to VERITY_FAILURE_LIMIT', async () => {
    const { appId, secrets } = await a.createApp('Shared limit')
    await a.admin('PATCH', `/admin/v1/apps/${appId}/platforms/web`, { enforced: true })
    await within(PROPAGATION_MS, 'enforcement on B', async () => (await auth(b, { app_id: appId, user_id: 'probe' })).status === 401)
    // The default limit is 10 refusals a minute per identifier: 20 attempts at once, 10 through each instance.
    const wrong = { app_id: appId, user_id: 'target', user_hash: '0'.repeat(64) }
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => auth(i % 2 === 0 ? a : b, wrong)))
    expect(answers.map((r) => r.status).sort()).toEqual([...Array(10).fill(401), ...Array(10).fill(429)])
    expect((await auth(a, wrong)).status).toBe(429)
    expect((await auth(b, wrong)).status).toBe(429)
    // A valid proof always passes, on both.
    const valid = { app_id: appId, user_id: 'target', user_hash: hmacHex(secrets.web, 'target') }
    expect((await auth(a, valid)).status).toBe(200)
    expect((await auth(b, valid)).status).toBe(200)
    expect((await auth(b, { app_id: appId, user_id: 'bystander', user_hash: '0'.repeat(64) })).status).toBe(401)
  })

  it('a secret rotated on A verifies on B within 2 s', async () => {
    const app = await a.createApp('rotate')
    await within(PROPAGATION_MS, 'the app reaches B', async () => (await auth(b, { app_id: app.appId })).status === 200)
    const rotated = await a.admin('POST', `/admin/v1/apps/${app.appId}/platforms/web/secrets`)
    expect(rotated.status).toBe(201)
    const hash = hmacHex(rotated.body.secret.value, 'alice')
    const ms = await within(PROPAGATION_MS, 'the new secret verifies on B', async () => (await auth(b, { app_id: app.appId, user_id: 'alice', user_hash: hash })).body.user?.verified === true)
    expect(ms).toBeLessThan(PROPAGATION_MS)
  })

  it('enforcement toggled on A applies on B within 2 s, both ways', async () => {
    const app = await a.createApp('enforce')
    await within(PROPAGATION_MS, 'the app reaches B', async () => (await auth(b, { app_id: app.appId })).status === 200)
    expect((await a.admin('PATCH', `/admin/v1/apps/${app.appId}/platforms/web`, { enforced: true })).status).toBe(200)
    await within(PROPAGATION_MS, 'B enforces', async () => {
      const res = await auth(b, { app_id: app.appId, user_id: 'bob' })
      return res.status === 401 && res.body.error.code === 'user_hash_missing'
    })
    expect((await a.admin('PATCH', `/admin/v1/apps/${app.appId}/platforms/web`, { enforced: false })).status).toBe(200)
    await within(PROPAGATION_MS, 'B stops enforcing', async () => {
      const res = await auth(b, { app_id: app.appId, user_id: 'bob' })
      return res.status === 200 && res.body.user.verified === false
    })
  })

  it('a secret revoked on A is refused on B within 2 s, and so are the access tokens it verified', async () => {
    const app = await a.createApp('revoke')
    await a.admin('PATCH', `/admin/v1/apps/${app.appId}/platforms/web`, { enforced: true })
    const oldHash = hmacHex(app.secrets.web, 'carol')
    await within(PROPAGATION_MS, 'B verifies the first secret', async () => (await auth(b, { app_id: app.appId, user_id: 'carol', user_hash: oldHash })).status === 200)
    const session = await auth(b, { app_id: app.appId, user_id: 'carol', user_hash: oldHash })
    const token = session.body.access_token as string
    expect((await b.request('GET', '/v1/messenger/me', { token })).status).toBe(200)

    expect((await a.admin('POST', `/admin/v1/apps/${app.appId}/platforms/web/secrets`)).status).toBe(201)
    expect((await a.admin('DELETE', `/admin/v1/apps/${app.appId}/platforms/web/secrets/${app.secretIds.web}`)).status).toBe(204)
    await within(PROPAGATION_MS, 'B refuses the revoked secret', async () => {
      const res = await auth(b, { app_id: app.appId, user_id: 'carol', user_hash: oldHash })
      return res.status === 401 && res.body.error.code === 'user_hash_invalid'
    })
    const me = await b.request('GET', '/v1/messenger/me', { token })
    expect(me.status).toBe(401)
    expect(me.body.error.code).toBe('token_invalid')
  })

  it('a signing key rotated on A signs on B within 2 s; tokens of either instance verify on the other', async () => {
    const app = await a.createApp('keys')
    await within(PROPAGATION_MS, 'the app reaches B', async () => (await auth(b, { app_id: app.appId })).status === 200)
    const hash = hmacHex(app.secrets.web, 'dave')
    const fromA = (await auth(a, { app_id: app.appId, user_id: 'dave', user_hash: hash })).body.access_token as string
    const key = await a.running.data.signingKeys.rotate('test', new Date())
    expect(kidOf(fromA)).not.toBe(key.id)
    await within(PROPAGATION_MS, 'B signs with the new key', async () => kidOf((await auth(b, { app_id: app.appId, user_id: 'dave', user_hash: hash })).body.access_token) === key.id)
    const fromB = (await auth(b, { app_id: app.appId, user_id: 'dave', user_hash: hash })).body.access_token as string
    await within(PROPAGATION_MS, 'A signs with the new key', async () => kidOf((await auth(a, { app_id: app.appId })).body.access_token) === key.id)
    expect((await b.request('GET', '/v1/messenger/me', { token: fromA })).status).toBe(200) // signed by A with the old key
    expect((await a.request('GET', '/v1/messenger/me', { token: fromB })).status).toBe(200) // signed by B with the new key
    const newFromA = (await auth(a, { app_id: app.appId, user_id: 'dave', user_hash: hash })).body.access_token as string
    expect(kidOf(newFromA)).toBe(key.id)
    expect((await b.request('GET', '/v1/messenger/me', { token: newFromA })).status).toBe(200)
  })

  it('`verity migrate` applies the schema explicitly; `verity keys rotate` on the shared database reaches both instances', async () => {
    const fresh = await freshPostgresDatabase()
    const first = await runVerity(['migrate', '--json', '--database-url', fresh])
    expect(first.code, first.stderr).toBe(0)
    expect(JSON.parse(first.stdout).applied).toEqual(expect.arrayContaining(['0001-configuration', '0002-auth-statistics']))
    const again = await runVerity(['migrate', '--json'], { env: { DATABASE_URL: fresh } })
    expect(JSON.parse(again.stdout)).toEqual({ applied: [] })

    const app = await a.createApp('cli keys')
    const rotated = await runVerity(['keys', 'rotate', '--json'], { env: { DATABASE_URL: databaseUrl, VERITY_MASTER_KEY: masterKey } })
    expect(rotated.code, rotated.stderr).toBe(0)
    const keyId = JSON.parse(rotated.stdout).key_id as string
    for (const server of [a, b]) {
      await within(PROPAGATION_MS, 'the instance signs with the key made by the CLI', async () => kidOf((await auth(server, { app_id: app.appId })).body.access_token) === keyId)
    }
  })

  it("live events cross instances: a message and a teammate's reply written on A reach a stream held on B", async () => {
    const app = await a.createApp('live')
    await within(PROPAGATION_MS, 'the app reaches B', async () => (await auth(b, { app_id: app.appId })).status === 200)
    const hash = hmacHex(app.secrets.web, 'fay')
    const onA = (await auth(a, { app_id: app.appId, user_id: 'fay', user_hash: hash })).body.access_token as string
    const onB = (await auth(b, { app_id: app.appId, user_id: 'fay', user_hash: hash })).body.access_token as string
    const stream = await openEventStream(b.url, { token: onB })
    try {
      expect(stream.status).toBe(200)
      const latencies: number[] = []
      const started = Date.now()
      const created = await a.request('POST', '/v1/messenger/conversations', { token: onA, body: { body: 'hello from A' } })
      expect(created.status).toBe(201)
      const conversationId = created.body.conversation.id as string
      await stream.next((e) => e.data.includes('hello from A'), PROPAGATION_MS)
      latencies.push(Date.now() - started)
      for (let i = 0; i < 3; i++) {
        const sent = Date.now()
        const reply = await a.admin('POST', `/admin/v1/apps/${app.appId}/conversations/${conversationId}/messages`, { body: `teammate reply ${i}` })
        expect(reply.status).toBe(201)
        const event = await stream.next((e) => e.data.includes(`teammate reply ${i}`), PROPAGATION_MS)
        expect(JSON.parse(event.data)).toMatchObject({ conversation_id: conversationId, message: { author: 'teammate', body: `teammate reply ${i}` } })
        latencies.push(Date.now() - sent)
      }
      for (const ms of latencies) expect(ms).toBeLessThan(PROPAGATION_MS)
      console.info(`live events A → B in ${latencies.join(', ')} ms (NOTIFY wake-up; the feed's own poll is every 500 ms)`)
    } finally {
      stream.close()
    }
  })

  it('NOTIFY alone carries changes (poll stopped), and the listener comes back after its connection is killed', async () => {
    b.running.cache.stop() // no safety net: only NOTIFY can bring the change
    try {
      const app = await a.createApp('notify only')
      // With B's poll stopped, arriving at all shows NOTIFY carried it.
      await within(PROPAGATION_MS, 'the app reaches B by NOTIFY', async () => (await auth(b, { app_id: app.appId })).status === 200)

      // Kill every LISTEN connection from the database side, as a failover or a proxy would.
      const admin = new pg.Client({ connectionString: databaseUrl })
      await admin.connect()
      try {
        const killed = await admin.query(
          `select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and application_name = $1`,
          [LISTENER_APPLICATION_NAME],
        )
        expect(killed.rowCount).toBeGreaterThanOrEqual(2)
      } finally {
        await admin.end()
      }
      const reconnectsBefore = b.running.listener!.reconnects
      await within(3_000, 'B listens again', async () => b.running.listener!.connected && b.running.listener!.reconnects > reconnectsBefore)
      expect((await a.admin('PATCH', `/admin/v1/apps/${app.appId}/platforms/android`, { enforced: true })).status).toBe(200)
      await within(PROPAGATION_MS, 'the change reaches B through the new connection', async () => {
        const res = await auth(b, { app_id: app.appId, platform: 'android', user_id: 'erin' })
        return res.status === 401
      })
    } finally {
      b.running.cache.start()
    }
  })
})
