import { describe, expect, it } from 'vitest'
import { BACKENDS, startBackendServer, startOnSameData } from './support/backends.js'
import { hmacHex } from './support/hmac.js'
import type { TestServer } from './support/test-server.js'
import { cleanupAfterEach, DEV, FAST, startReceiver, until, type Received } from './support/webhook-receiver.js'

const bodiesOf = (r: { readonly received: readonly Received[] }): string[] => r.received.map((m) => m.body)

const cleanup = cleanupAfterEach()

for (const backend of BACKENDS) {
  describe(`alerts (${backend})`, () => {
    async function start(env: Record<string, string>, logLines?: string[]): Promise<TestServer> {
      const server = await startBackendServer(backend, { ...DEV, ...env }, { webhooks: FAST, ...(logLines && { logLines }) })
      cleanup.push(() => server.close())
      return server
    }
    async function receiver(server: TestServer, events: string[]) {
      const r = await startReceiver()
      cleanup.push(() => r.close())
      expect((await server.admin('POST', '/admin/v1/webhooks', { url: r.url, events })).status).toBe(201)
      return r
    }
    /** Everything the auth path counted is flushed, decided, and its alerts stored. */
    async function settle(server: TestServer): Promise<void> {
      await server.running.events.flush()
      await server.running.alerts.settled()
    }
    async function alerts(server: TestServer): Promise<any[]> {
      const res = await server.admin('GET', '/admin/v1/alerts')
      expect(res.status).toBe(200)
      return res.body.alerts
    }
    /** Waits long enough for a second delivery to show up if one were queued. */
    async function quietly(server: TestServer): Promise<void> {
      await settle(server)
      await new Promise((r) => setTimeout(r, 300))
    }

    it('raises verification.failure_spike once, at the bound and the fifth, with the top diagnoses and app versions', async () => {
      const server = await start({ VERITY_SPIKE_MIN: '10', VERITY_LEAK_USERS: '0' })
      const r = await receiver(server, ['verification.failure_spike'])
      const { appId, secrets } = await server.createApp()
      expect((await server.admin('PATCH', `/admin/v1/apps/${appId}/platforms/web`, { enforced: true })).status).toBe(200)
      let n = 0
      const auth = async (secret: string | null, app_version: string, mangle: (hash: string) => string = (h) => h) => {
        const user_id = `user-${n++}`
        const body = { app_id: appId, platform: 'web', user_id, app_version, user_hash: mangle(hmacHex(secret ?? secrets.web, user_id)) }
        return server.request('POST', '/v1/messenger/auth', { body })
      }
      // 40 valid proofs, then 9 invalid: below VERITY_SPIKE_MIN.
      for (let i = 0; i < 40; i++) expect((await auth(secrets.web, '1.9.0')).status).toBe(200)
      for (let i = 0; i < 6; i++) expect((await auth(secrets.ios, '2.0.0')).body.error.code).toBe('user_hash_invalid')
      for (let i = 0; i < 3; i++) expect((await auth(secrets.web, '2.0.1', (h) => Buffer.from(h, 'hex').toString('base64'))).status).toBe(401)
      await settle(server)
      expect(await alerts(server)).toEqual([])
      // 10 invalid of 50 attempts: at the bound, but not more than a fifth.
      expect((await auth(secrets.ios, '2.0.0')).status).toBe(401)
      await settle(server)
      expect(await alerts(server)).toEqual([])
      // 11 of 51: a spike.
      expect((await auth(secrets.ios, '2.0.0')).status).toBe(401)
      await settle(server)
      const raised = await alerts(server)
      expect(raised).toHaveLength(1)
      expect(raised[0]).toMatchObject({
        type: 'verification.failure_spike',
        app_id: appId,
        platform: 'web',
        details: {
          reason: 'failure_spike',
          invalid: 11,
          attempts: 51,
          top_diagnoses: [
            { diagnosis: 'other_platform_secret', count: 8 },
            { diagnosis: 'base64_instead_of_hex', count: 3 },
          ],
          top_app_versions: [
            { app_version: '2.0.0', count: 8 },
            { app_version: '2.0.1', count: 3 },
          ],
        },
      })
      expect(raised[0].advice).toMatch(/deploy/)
      // The spike goes on: no second event while the rate stays over the bound.
      for (let i = 0; i < 5; i++) expect((await auth(secrets.android, '2.0.0')).status).toBe(401)
      await quietly(server)
      expect(await alerts(server)).toHaveLength(1)
      const delivered = await until('the spike webhook', () => bodiesOf(r)[0])
      await new Promise((resolve) => setTimeout(resolve, 300))
      expect(bodiesOf(r)).toHaveLength(1)
      expect(JSON.parse(delivered)).toMatchObject({
        type: 'verification.failure_spike',
        data: { app_id: appId, platform: 'web', invalid: 11, attempts: 51, top_diagnoses: [{ diagnosis: 'other_platform_secret', count: 8 }, { diagnosis: 'base64_instead_of_hex', count: 3 }] },
      })
      const metrics = await server.request('GET', '/metrics')
      expect(metrics.body).toContain('verity_alerts_total{type="verification.failure_spike"} 1')
      expect(metrics.body).toContain('verity_alerts_total{type="secret.exposed"} 0')
    })

    it('raises secret.exposed once per secret sent by a client, diagnosed secret_sent_by_client, and never shows the secret', async () => {
      const logLines: string[] = []
      const server = await start({ VERITY_LEAK_USERS: '0' }, logLines)
      const r = await receiver(server, ['secret.exposed'])
      const { appId, secrets, secretIds } = await server.createApp()
      const send = (body: Record<string, string>) => server.request('POST', '/v1/messenger/auth', { body: { app_id: appId, platform: 'web', app_version: '3.0.0', ...body } })

      // The secret as the user_hash, then as the user_id (with a hash that would verify), then again.
      for (const body of [
        { user_id: 'alice', user_hash: secrets.web },
        { user_id: secrets.web, user_hash: hmacHex(secrets.web, secrets.web) },
        { user_id: 'bob', user_hash: secrets.web },
      ]) {
        const res = await send(body)
        expect(res.status).toBe(401)
        expect(res.body.error.code).toBe('user_hash_invalid')
      }
      await quietly(server)
      let raised = await alerts(server)
      expect(raised).toHaveLength(1)
      expect(raised[0]).toMatchObject({ type: 'secret.exposed', app_id: appId, platform: 'web', details: { reason: 'secret_sent_by_client', secret_id: secretIds.web, fields: ['user_hash'] } })
      expect(raised[0].advice).toMatch(/Rotate/)
      expect(raised[0].advice).toMatch(/revoke/)

      const failures = await server.admin('GET', `/admin/v1/apps/${appId}/failures`)
      expect(failures.status).toBe(200)
      expect(failures.body.failures.map((f: any) => f.diagnosis)).toEqual(['secret_sent_by_client', 'secret_sent_by_client', 'secret_sent_by_client'])
      expect(failures.body.failures.map((f: any) => f.user_id)).toEqual(['bob', null, 'alice'])

      // Another secret of the app (the ios one, sent on web as the email) is a second alert, named by its own id.
      expect((await send({ email: secrets.ios })).status).toBe(401)
      await quietly(server)
      raised = await alerts(server)
      expect(raised).toHaveLength(2)
      expect(raised[0]).toMatchObject({ type: 'secret.exposed', platform: 'ios', details: { secret_id: secretIds.ios, fields: ['email'], sent_on_platform: 'web' } })

      await until('two secret.exposed deliveries', () => bodiesOf(r).length >= 2 || undefined)
      await new Promise((resolve) => setTimeout(resolve, 300))
      expect(bodiesOf(r)).toHaveLength(2)
      expect(JSON.parse(bodiesOf(r)[0]!)).toMatchObject({ type: 'secret.exposed', data: { app_id: appId, platform: 'web', secret_id: secretIds.web, reason: 'secret_sent_by_client' } })

      const audit = await server.admin('GET', '/admin/v1/audit-log')
      expect(audit.status).toBe(200)
      const everything = [JSON.stringify(raised), ...bodiesOf(r), ...logLines, JSON.stringify(audit.body), JSON.stringify(failures.body)].join('\n')
      expect(logLines.length).toBeGreaterThan(3)
      for (const value of Object.values(secrets)) expect(everything).not.toContain(value)
      expect((await server.request('GET', '/metrics')).body).toContain('verity_alerts_total{type="secret.exposed"} 2')
    })

    it('raises secret.exposed once when one device proves more than VERITY_LEAK_USERS users, and not at the bound', async () => {
      const server = await start({ VERITY_LEAK_USERS: '5' })
      const r = await receiver(server, ['secret.exposed'])
      const { appId, secrets } = await server.createApp()
      const prove = (user_id: string) =>
        server.request('POST', '/v1/messenger/auth', { body: { app_id: appId, platform: 'android', user_id, device_id: 'dev_shared', user_hash: hmacHex(secrets.android, user_id) } })
      // Five users, several times each: at the bound, not over it.
      for (let round = 0; round < 2; round++) for (let i = 0; i < 5; i++) expect((await prove(`u${i}`)).status).toBe(200)
      await quietly(server)
      expect(await alerts(server)).toEqual([])
      // The sixth user: over the bound.
      expect((await prove('u5')).status).toBe(200)
      for (let i = 6; i < 12; i++) expect((await prove(`u${i}`)).status).toBe(200)
      await quietly(server)
      const raised = await alerts(server)
      expect(raised).toHaveLength(1)
      expect(raised[0]).toMatchObject({ type: 'secret.exposed', app_id: appId, platform: 'android', details: { reason: 'leaked_proofs', source: 'device', device_id: 'dev_shared', users_over: 5 } })
      expect(raised[0].advice).toMatch(/Rotate/)
      await until('the leak webhook', () => bodiesOf(r)[0])
      await new Promise((resolve) => setTimeout(resolve, 300))
      expect(bodiesOf(r)).toHaveLength(1)
      expect(JSON.parse(bodiesOf(r)[0]!)).toMatchObject({ type: 'secret.exposed', data: { app_id: appId, platform: 'android', reason: 'leaked_proofs' } })
    })

    it('raises secret.exposed for one client address proving more than VERITY_LEAK_USERS users from many devices', async () => {
      const server = await start({ VERITY_LEAK_USERS: '3', VERITY_TRUSTED_PROXIES: '127.0.0.1,::1' })
      const { appId, secrets } = await server.createApp()
      const prove = (user_id: string, address: string) =>
        server.request('POST', '/v1/messenger/auth', {
          body: { app_id: appId, platform: 'ios', user_id, device_id: `dev_${user_id}`, user_hash: hmacHex(secrets.ios, user_id) },
          headers: { 'x-forwarded-for': address },
        })
      // Three users from one address, and many from others: no source over the bound.
      for (let i = 0; i < 3; i++) expect((await prove(`u${i}`, '203.0.113.7')).status).toBe(200)
      for (let i = 3; i < 9; i++) expect((await prove(`u${i}`, `198.51.100.${i}`)).status).toBe(200)
      await settle(server)
      expect(await alerts(server)).toEqual([])
      expect((await prove('u9', '203.0.113.7')).status).toBe(200)
      await settle(server)
      expect(await alerts(server)).toMatchObject([{ type: 'secret.exposed', platform: 'ios', details: { reason: 'leaked_proofs', source: 'client_address', client_address: '203.0.113.7' } }])
    })

    it('keeps alerts across a restart without raising the same secret again, pages them newest first, refuses a bad cursor, and deletes them with the app', async () => {
      const first = await start({ VERITY_LEAK_USERS: '0' })
      const { appId, secrets, secretIds } = await first.createApp()
      expect((await first.request('POST', '/v1/messenger/auth', { body: { app_id: appId, platform: 'web', user_id: 'x', user_hash: secrets.web } })).status).toBe(401)
      await settle(first)
      await first.close({ keepData: true })
      const server = await startOnSameData(first, DEV, { webhooks: FAST })
      cleanup.push(() => server.close())
      expect((await alerts(server)).map((a) => a.details.secret_id)).toEqual([secretIds.web])
      for (const platform of ['web', 'ios', 'android'] as const) {
        const res = await server.request('POST', '/v1/messenger/auth', { body: { app_id: appId, platform, user_id: 'x', user_hash: secrets[platform] } })
        expect(res.status).toBe(401)
        await settle(server)
      }
      const page = await server.admin('GET', '/admin/v1/alerts?limit=2')
      expect(page.status).toBe(200)
      expect(page.body.alerts.map((a: any) => a.details.secret_id)).toEqual([secretIds.android, secretIds.ios])
      const next = await server.admin('GET', `/admin/v1/alerts?limit=2&cursor=${page.body.next_cursor}`)
      expect(next.body.alerts.map((a: any) => a.details.secret_id)).toEqual([secretIds.web])
      const bad = await server.admin('GET', '/admin/v1/alerts?cursor=nonsense')
      expect(bad.status).toBe(400)
      expect(bad.body.error.code).toBe('invalid_request')
      expect((await server.request('GET', '/admin/v1/alerts')).status).toBe(401)
      // Deleting the app deletes its alerts.
      expect((await server.admin('DELETE', `/admin/v1/apps/${appId}?confirm=${appId}`)).status).toBe(204)
      expect(await alerts(server)).toEqual([])
    })
  })
}
