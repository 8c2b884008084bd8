import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Webhook } from 'standardwebhooks'
import { describe, expect, it } from 'vitest'
import { parseServerConfig } from '../src/config/server-config.js'
import { postWebhook } from '../src/webhooks/post-webhook.js'
import { backendEnv, BACKENDS } from './support/backends.js'
import { startTestServer, type TestServer } from './support/test-server.js'
import { cleanupAfterEach, DEV, FAST, startReceiver, until, type Received } from './support/webhook-receiver.js'

const verifyWith = (secret: string, r: Received): unknown =>
  new Webhook(secret).verify(r.body, {
    'webhook-id': String(r.headers['webhook-id']),
    'webhook-timestamp': String(r.headers['webhook-timestamp']),
    'webhook-signature': String(r.headers['webhook-signature']),
  })

/** The verifier docs/webhooks.md shows, run as a reader would copy it. */
async function docVerifier(): Promise<(secret: string, headers: IncomingHttpHeaders, body: string) => boolean> {
  const doc = readFileSync(new URL('../../../docs/webhooks.md', import.meta.url), 'utf8')
  const code = /```js\n([\s\S]*?)```/.exec(doc)![1]!
  const file = join(mkdtempSync(join(tmpdir(), 'verity-doc-')), 'verify.mjs')
  writeFileSync(file, `${code}\nexport { verifyVerityWebhook }\n`)
  return ((await import(pathToFileURL(file).href)) as { verifyVerityWebhook: any }).verifyVerityWebhook
}

const cleanup = cleanupAfterEach()

for (const backend of BACKENDS) {
  describe(`webhooks (${backend})`, () => {
    async function start(env: Record<string, string>, options: Parameters<typeof startTestServer>[2] = {}, dataDir?: string): Promise<TestServer> {
      const server = await startTestServer(env, dataDir, options)
      cleanup.push(() => server.close())
      return server
    }
    async function receiver() {
      const r = await startReceiver()
      cleanup.push(() => r.close())
      return r
    }

    it('signs events the Standard Webhooks way, verified by the standardwebhooks package, and after a rotation with both secrets', async () => {
      const server = await start({ ...(await backendEnv(backend)), ...DEV }, { webhooks: FAST })
      const r = await receiver()
      const created = await server.admin('POST', '/admin/v1/webhooks', { url: r.url, events: ['platform.enforced', 'platform.unenforced', 'secret.created', 'secret.revoked'] })
      expect(created.status).toBe(201)
      const hook = created.body.webhook
      expect(hook.id).toMatch(/^whk_[0-9a-z]{26}$/)
      expect(hook.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/)
      expect(Buffer.from(hook.secret.slice(6), 'base64')).toHaveLength(24)

      const list = await server.admin('GET', '/admin/v1/webhooks')
      expect(list.status).toBe(200)
      expect(list.body.webhooks).toHaveLength(1)
      expect(JSON.stringify(list.body)).not.toContain(hook.secret.slice(6))

      const { appId, secrets } = await server.createApp()
      expect((await server.admin('PATCH', `/admin/v1/apps/${appId}/platforms/web`, { enforced: true })).status).toBe(200)
      const first = await until('platform.enforced', () => r.received[0])
      const payload = verifyWith(hook.secret, first) as any
      expect(payload).toMatchObject({ type: 'platform.enforced', data: { app_id: appId, platform: 'web' } })
      expect(Date.parse(payload.timestamp)).not.toBeNaN()
      expect(first.headers['webhook-id']).toMatch(/^msg_/)
      expect(first.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/)

      // A tampered body or another secret does not verify: the check can fail.
      expect(() => verifyWith(hook.secret, { ...first, body: first.body.replace('web', 'ios') })).toThrow()

      const rotated = await server.admin('POST', `/admin/v1/webhooks/${hook.id}/rotate-secret`)
      expect(rotated.status).toBe(200)
      expect(rotated.body.webhook.secret).not.toBe(hook.secret)
      expect(Date.parse(rotated.body.webhook.previous_secret_until) - Date.now()).toBeGreaterThan(23 * 3600_000)

      const secret = await server.admin('POST', `/admin/v1/apps/${appId}/platforms/ios/secrets`)
      expect(secret.status).toBe(201)
      const second = await until('secret.created', () => r.received.find((m) => m.body.includes('secret.created')))
      expect(String(second.headers['webhook-signature']).split(' ')).toHaveLength(2)
      expect(verifyWith(rotated.body.webhook.secret, second)).toMatchObject({ type: 'secret.created', data: { app_id: appId, platform: 'ios', secret_id: secret.body.secret.id } })
      expect(verifyWith(hook.secret, second)).toMatchObject({ type: 'secret.created' })
      // The few lines of node:crypto in docs/webhooks.md agree, and refuse what they should.
      const verifyDoc = await docVerifier()
      expect(verifyDoc(hook.secret, first.headers, first.body)).toBe(true)
      expect(verifyDoc(hook.secret, second.headers, second.body)).toBe(true)
      expect(verifyDoc(rotated.body.webhook.secret, second.headers, second.body)).toBe(true)
      expect(verifyDoc(rotated.body.webhook.secret, first.headers, first.body)).toBe(false)
      expect(verifyDoc(hook.secret, first.headers, first.body.replace('web', 'ios'))).toBe(false)
      // Never a secret value in a payload.
      for (const m of r.received) for (const value of [...Object.values(secrets), secret.body.secret.value]) expect(m.body).not.toContain(value)

      expect((await server.admin('DELETE', `/admin/v1/apps/${appId}/platforms/ios/secrets/${secret.body.secret.id}`)).status).toBe(204)
      await until('secret.revoked', () => r.received.find((m) => m.body.includes('secret.revoked')))

      // Stored sealed, never in clear.
      const rows = await server.running.data.db.selectFrom('webhooks').selectAll().execute()
      for (const value of [hook.secret, rotated.body.webhook.secret]) expect(JSON.stringify(rows)).not.toContain(value.slice(6))
      const paths = Object.keys((await server.request('GET', '/openapi.json')).body.paths)
      expect(paths).toEqual(expect.arrayContaining(['/admin/v1/webhooks', '/admin/v1/webhooks/{webhook_id}/rotate-secret', '/admin/v1/webhooks/{webhook_id}/deliveries']))

      const audit = await server.admin('GET', '/admin/v1/audit-log')
      const actions = audit.body.events.map((e: any) => e.action)
      expect(actions).toEqual(expect.arrayContaining(['webhook.created', 'webhook.secret_rotated']))
    })

    it('tells your server when a user is signed out everywhere (user.signed_out), only to webhooks that subscribe', async () => {
      const server = await start({ ...(await backendEnv(backend)), ...DEV }, { webhooks: FAST })
      const r = await receiver()
      const hook = (await server.admin('POST', '/admin/v1/webhooks', { url: r.url, events: ['user.signed_out'] })).body.webhook
      const { appId } = await server.createApp()
      const res = await server.admin('POST', `/admin/v1/apps/${appId}/users/sign-out`, { user_id: 'user-42' })
      expect(res.status).toBe(200)
      const got = await until('user.signed_out', () => r.received[0])
      expect(verifyWith(hook.secret, got)).toMatchObject({
        type: 'user.signed_out',
        data: { app_id: appId, user_id: 'user-42', email: null, signed_out_before: res.body.signed_out_before },
      })
      // Subscribed to nothing else: enforcing raises no delivery to this webhook.
      expect((await server.admin('PATCH', `/admin/v1/apps/${appId}/platforms/web`, { enforced: true })).status).toBe(200)
      expect((await server.admin('POST', `/admin/v1/apps/${appId}/users/sign-out`, { email: 'ada@example.com' })).status).toBe(200)
      const second = await until('second user.signed_out', () => r.received[1])
      expect(verifyWith(hook.secret, second)).toMatchObject({ type: 'user.signed_out', data: { user_id: null, email: 'ada@example.com' } })
      expect(r.received).toHaveLength(2)
    })

    it('retries after a 500 and shows each attempt in the delivery log; the test event reaches only its webhook', async () => {
      const server = await start({ ...(await backendEnv(backend)), ...DEV }, { webhooks: FAST })
      const r = await receiver()
      // A redirect is a failed attempt (never followed), as is a 500.
      r.answers.push(302, 500)
      const hook = (await server.admin('POST', '/admin/v1/webhooks', { url: r.url, events: ['secret.revoked'] })).body.webhook
      const test = await server.admin('POST', `/admin/v1/webhooks/${hook.id}/test`)
      expect(test.status).toBe(202)
      const log = await until('delivered', async () => {
        const res = await server.admin('GET', `/admin/v1/webhooks/${hook.id}/deliveries`)
        return res.body.deliveries[0]?.status === 'delivered' ? res.body : undefined
      })
      const delivery = log.deliveries[0]
      expect(delivery).toMatchObject({ event_type: 'webhook.test', status: 'delivered', attempts: 3, last_response_status: 200, next_attempt_at: null, last_error: null })
      expect(delivery.attempt_log.map((a: any) => [a.status, a.error])).toEqual([[302, 'answered 302 (redirects are not followed)'], [500, 'answered 500'], [200, null]])
      expect(r.received).toHaveLength(3)
      expect(new Set(r.received.map((m) => m.headers['webhook-id']))).toEqual(new Set([delivery.id]))
      expect(verifyWith(hook.secret, r.received[2]!)).toMatchObject({ type: 'webhook.test', data: { webhook_id: hook.id } })
      const metrics = (await server.request('GET', '/metrics')).body
      expect(metrics).toMatch(/^verity_webhook_attempts_total\{result="delivered"\} 1$/m)
      expect(metrics).toMatch(/^verity_webhook_attempts_total\{result="retrying"\} 2$/m)

      // A webhook's deliveries are its own; a deleted webhook is gone with them.
      expect((await server.admin('DELETE', `/admin/v1/webhooks/${hook.id}`)).status).toBe(204)
      const gone = await server.admin('GET', `/admin/v1/webhooks/${hook.id}/deliveries`)
      expect([gone.status, gone.body.error.code]).toEqual([404, 'not_found'])
      const again = await server.admin('DELETE', `/admin/v1/webhooks/${hook.id}`)
      expect([again.status, again.body.error.code]).toEqual([404, 'not_found'])
      const junk = await server.admin('POST', '/admin/v1/webhooks/whk_nope/test')
      expect([junk.status, junk.body.error.code]).toEqual([404, 'not_found'])
    })

    it('bounds each attempt in time and in the answer read, and gives up after the retry period', async () => {
      const server = await start({ ...(await backendEnv(backend)), ...DEV }, { webhooks: { ...FAST, timeoutMs: 300, retryForMs: 500 } })
      // /hang never answers; /flood answers 200 with an endless body.
      const raw = createServer((req, res) => {
        if (req.url === '/flood') {
          res.writeHead(200)
          const chunk = 'x'.repeat(1024)
          const pump = (): void => {
            while (res.write(chunk)) if (res.destroyed) return
            res.once('drain', pump)
          }
          pump()
        }
      })
      await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve))
      cleanup.push(() => { raw.closeAllConnections(); return new Promise((resolve) => raw.close(() => resolve())) })
      const base = `http://127.0.0.1:${(raw.address() as AddressInfo).port}`
      const hang = (await server.admin('POST', '/admin/v1/webhooks', { url: `${base}/hang`, events: ['secret.created'] })).body.webhook
      const flood = (await server.admin('POST', '/admin/v1/webhooks', { url: `${base}/flood`, events: ['secret.created'] })).body.webhook
      await server.admin('POST', `/admin/v1/webhooks/${hang.id}/test`)
      await server.admin('POST', `/admin/v1/webhooks/${flood.id}/test`)
      const finished = (id: string) =>
        until(`${id} finished`, async () => {
          const d = (await server.admin('GET', `/admin/v1/webhooks/${id}/deliveries`)).body.deliveries[0]
          return d && d.status !== 'pending' ? d : undefined
        })
      const flooded = await finished(flood.id)
      expect(flooded).toMatchObject({ status: 'delivered', attempts: 1, last_response_status: 200 })
      const hung = await finished(hang.id)
      expect(hung.status).toBe('failed')
      expect(hung.attempts).toBeGreaterThanOrEqual(1)
      expect(hung.next_attempt_at).toBeNull()
      expect(hung.attempt_log.every((a: any) => a.status === null && a.error === 'no answer within 300 ms')).toBe(true)
    })

    it('loses no delivery across a restart', async () => {
      const env = { ...(await backendEnv(backend)), ...DEV }
      const r = await receiver()
      // The first server never polls: its event stays queued when it stops.
      const first = await startTestServer(env, undefined, { webhooks: { pollMs: 3_600_000 } })
      const hook = (await first.admin('POST', '/admin/v1/webhooks', { url: r.url, events: ['platform.enforced'] })).body.webhook
      const { appId } = await first.createApp()
      expect((await first.admin('PATCH', `/admin/v1/apps/${appId}/platforms/android`, { enforced: true })).status).toBe(200)
      await first.close({ keepData: true })
      cleanup.push(async () => rmSync(first.dataDir, { recursive: true, force: true }))
      expect(r.received).toHaveLength(0)

      const second = await start(env, { webhooks: FAST }, first.dataDir)
      const got = await until('the queued event', () => r.received[0])
      expect(verifyWith(hook.secret, got)).toMatchObject({ type: 'platform.enforced', data: { app_id: appId, platform: 'android' } })
      const log = await second.admin('GET', `/admin/v1/webhooks/${hook.id}/deliveries`)
      expect(log.body.deliveries[0]).toMatchObject({ status: 'delivered', attempts: 1 })
    })

    it('retries after a restart a delivery whose attempt failed before it', async () => {
      const env = { ...(await backendEnv(backend)), ...DEV }
      const r = await receiver()
      r.answers.push(503)
      const first = await startTestServer(env, undefined, { webhooks: { schedule: [1_000], pollMs: 20 } })
      const hook = (await first.admin('POST', '/admin/v1/webhooks', { url: r.url, events: ['secret.created'] })).body.webhook
      await first.admin('POST', `/admin/v1/webhooks/${hook.id}/test`)
      await until('the first attempt', async () => (await first.admin('GET', `/admin/v1/webhooks/${hook.id}/deliveries`)).body.deliveries[0]?.attempts === 1)
      await first.close({ keepData: true })
      cleanup.push(async () => rmSync(first.dataDir, { recursive: true, force: true }))
      expect(r.received).toHaveLength(1)

      const second = await start(env, { webhooks: FAST }, first.dataDir)
      const log = await until('the retry', async () => {
        const d = (await second.admin('GET', `/admin/v1/webhooks/${hook.id}/deliveries`)).body.deliveries[0]
        return d?.status === 'delivered' ? d : undefined
      })
      expect(log.attempt_log.map((a: any) => a.status)).toEqual([503, 200])
      expect(r.received.map((m) => m.headers['webhook-id'])).toEqual([log.id, log.id])
    })

    if (backend === 'postgres') {
      it('delivers each event once with two instances on one database', async () => {
        const env = { ...(await backendEnv(backend)), ...DEV }
        const r = await receiver()
        const a = await start(env, { webhooks: FAST })
        const b = await start(env, { webhooks: FAST })
        const hook = (await a.admin('POST', '/admin/v1/webhooks', { url: r.url, events: ['secret.created'] })).body.webhook
        for (let i = 0; i < 20; i++) expect((await (i % 2 ? a : b).admin('POST', `/admin/v1/webhooks/${hook.id}/test`)).status).toBe(202)
        await until('20 deliveries', async () => {
          const log = (await a.admin('GET', `/admin/v1/webhooks/${hook.id}/deliveries`)).body.deliveries
          return log.length === 20 && log.every((d: any) => d.status === 'delivered')
        })
        const ids = r.received.map((m) => m.headers['webhook-id'])
        expect(new Set(ids).size).toBe(20)
        expect(ids).toHaveLength(20)
      })
    }

    it('refuses http and private addresses without VERITY_WEBHOOKS_ALLOW_HTTP', async () => {
      const server = await start(await backendEnv(backend))
      for (const url of ['http://hooks.example.com/x', 'https://127.0.0.1/x', 'https://localhost/x', 'https://10.1.2.3/x', 'https://169.254.169.254/latest', 'https://[::1]/x', 'https://192.168.0.10/x', 'https://[::ffff:127.0.0.1]/x', 'ftp://example.com/']) {
        const res = await server.admin('POST', '/admin/v1/webhooks', { url, events: ['secret.created'] })
        expect([url, res.status, res.body.error.code]).toEqual([url, 400, 'webhook_url_refused'])
      }
      for (const body of [{ url: 'https://hooks.example.com/x', events: ['nope'] }, { url: 'https://hooks.example.com/x', events: [] }, { url: 'https://hooks.example.com/x' }, { url: 42, events: ['secret.created'] }]) {
        const res = await server.admin('POST', '/admin/v1/webhooks', body)
        expect([res.status, res.body.error.code]).toEqual([400, 'invalid_request'])
      }
      const ok = await server.admin('POST', '/admin/v1/webhooks', { url: 'https://hooks.example.com/x', events: ['secret.created'] })
      expect(ok.status).toBe(201)
    })

    it('bounds the pending deliveries of a webhook, dropping the oldest and counting them', async () => {
      const server = await start({ ...(await backendEnv(backend)), ...DEV }, { webhooks: { pollMs: 3_600_000, maxPending: 3 } })
      const hook = (await server.admin('POST', '/admin/v1/webhooks', { url: 'http://127.0.0.1:9/never', events: ['secret.created'] })).body.webhook
      const { appId } = await server.createApp()
      const ids: string[] = []
      for (let i = 0; i < 5; i++) ids.push((await server.admin('POST', `/admin/v1/apps/${appId}/platforms/web/secrets`)).body.secret.id)
      const log = await server.admin('GET', `/admin/v1/webhooks/${hook.id}/deliveries`)
      expect(log.body.deliveries).toHaveLength(3)
      expect(log.body.deliveries.every((d: any) => d.status === 'pending')).toBe(true)
      // The oldest were dropped: what waits is the three latest secrets' events.
      const rows = await server.running.data.db.selectFrom('webhook_deliveries').select('payload').execute()
      expect(rows.map((row) => JSON.parse(row.payload).data.secret_id).sort()).toEqual(ids.slice(2).sort())
      const metrics = await server.request('GET', '/metrics')
      expect(metrics.body).toMatch(/^verity_webhook_deliveries_dropped_total 2$/m)
    })
  })
}

describe('webhook delivery guard', () => {
  it('refuses a name that resolves to a private address at delivery time, unless development allows it', async () => {
    const r = await startReceiver()
    try {
      const url = r.url.replace('127.0.0.1', 'localhost')
      const refused = await postWebhook(url.replace('http:', 'https:'), '{}', {}, { timeoutMs: 2_000, allowPrivate: false })
      expect(refused).toEqual({ error: 'the host name resolves only to loopback or private addresses (EPRIVATE)' })
      const literal = await postWebhook('https://127.0.0.1:1/x', '{}', {}, { timeoutMs: 2_000, allowPrivate: false })
      expect(literal).toEqual({ error: 'refused: http or a private address' })
      expect(r.received).toHaveLength(0)
      expect(await postWebhook(url, '{}', {}, { timeoutMs: 2_000, allowPrivate: true })).toEqual({ status: 200 })
      expect(r.received).toHaveLength(1)
    } finally {
      await r.close()
    }
  })
})

describe('webhook settings', () => {
  it('a bad VERITY_WEBHOOKS_ALLOW_HTTP stops the start, naming the variable', () => {
    expect(() => parseServerConfig({}, { VERITY_WEBHOOKS_ALLOW_HTTP: 'yes' })).toThrow(/VERITY_WEBHOOKS_ALLOW_HTTP/)
    expect(parseServerConfig({}, { VERITY_WEBHOOKS_ALLOW_HTTP: '1' }).webhooksAllowHttp).toBe(true)
    expect(parseServerConfig({}, {}).webhooksAllowHttp).toBe(false)
  })
})
