import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hmacHex } from './support/hmac.js'
import type { TestServer } from './support/test-server.js'
import { BACKENDS, startBackendServer } from './support/backends.js'

describe.each(BACKENDS)('admin API (%s)', (backend) => {
  let server: TestServer
  beforeAll(async () => {
    server = await startBackendServer(backend)
  })
  afterAll(() => server.close())

  function expectError(res: { status: number; body: any }, status: number, code: string): void {
    expect(res.status).toBe(status)
    expect(res.body.error.code).toBe(code)
  }

  describe('admin API', () => {
    it('requires a valid admin key; a messenger token never opens it', async () => {
      for (const token of [undefined, 'wrong', '']) {
        const res = await server.request('GET', '/admin/v1/apps', token === undefined ? {} : { token })
        expectError(res, 401, 'unauthorized')
        expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/)
      }
      const { appId } = await server.createApp()
      const session = await server.request('POST', '/v1/messenger/auth', { body: { app_id: appId, platform: 'web' } })
      expectError(await server.request('GET', '/admin/v1/apps', { token: session.body.access_token }), 401, 'unauthorized')
      // ...and an admin key is not an access token.
      expectError(await server.request('GET', '/v1/messenger/me', { token: 'test-admin-key-0123456789abcdef0123456789' }), 401, 'token_invalid')
    })

    it('creates an app with one 256-bit secret per platform, nothing enforced', async () => {
      const res = await server.admin('POST', '/admin/v1/apps', { name: 'Shop (iOS + web)', environment: 'development' })
      expect(res.status).toBe(201)
      const { app, secrets } = res.body
      expect(app).toMatchObject({ name: 'Shop (iOS + web)', environment: 'development' })
      expect(app.id).toMatch(/^app_/)
      expect(new Date(app.created_at).toISOString()).toBe(app.created_at)
      for (const platform of ['web', 'ios', 'android']) {
        expect(app.platforms[platform].enforced).toBe(false)
        expect(app.platforms[platform].secrets).toEqual([{ id: secrets[platform].id, created_at: app.created_at, last_used_at: null }])
        expect(secrets[platform].value).toMatch(/^vsk_[0-9a-f]{64}$/)
      }
      expect(new Set([secrets.web.value, secrets.ios.value, secrets.android.value]).size).toBe(3)
      const shown = await server.admin('GET', `/admin/v1/apps/${app.id}`)
      expect(shown.body.app).toEqual(app)
      expect(JSON.stringify(shown.body)).not.toContain(secrets.web.value)
    })

    it.each([
      [{ environment: 'production' }, /name/],
      [{ name: '', environment: 'production' }, /name/],
      [{ name: 'x', environment: 'staging' }, /environment/],
      [{ name: 'x', environment: 'production', secret: 'mine' }, /Unknown field "secret"/],
    ])('refuses to create %j', async (body, message) => {
      const res = await server.admin('POST', '/admin/v1/apps', body)
      expectError(res, 400, 'invalid_request')
      expect(res.body.error.message).toMatch(message)
    })

    it('lists apps with cursor pagination; limits are capped and bad cursors refused', async () => {
      for (let i = 0; i < 3; i++) await server.createApp(`Paged ${i}`)
      const all = await server.admin('GET', '/admin/v1/apps?limit=100')
      const ids = all.body.apps.map((a: { id: string }) => a.id)
      expect(all.body.next_cursor).toBeNull()
      const first = await server.admin('GET', '/admin/v1/apps?limit=2')
      expect(first.body.apps.map((a: { id: string }) => a.id)).toEqual(ids.slice(0, 2))
      expect(typeof first.body.next_cursor).toBe('string')
      const second = await server.admin('GET', `/admin/v1/apps?limit=2&cursor=${first.body.next_cursor}`)
      expect(second.body.apps.map((a: { id: string }) => a.id)).toEqual(ids.slice(2, 4))
      expect((await server.admin('GET', '/admin/v1/apps?limit=1000')).status).toBe(200)
      expectError(await server.admin('GET', '/admin/v1/apps?limit=0'), 400, 'invalid_request')
      expectError(await server.admin('GET', '/admin/v1/apps?limit=abc'), 400, 'invalid_request')
      expectError(await server.admin('GET', '/admin/v1/apps?cursor=nonsense'), 400, 'invalid_request')
      expectError(await server.admin('GET', '/admin/v1/apps?sort=name'), 400, 'invalid_request')
    })

    it('unknown apps, platforms and secrets are 404', async () => {
      const { appId } = await server.createApp()
      expectError(await server.admin('GET', '/admin/v1/apps/app_00000000000000000000000000'), 404, 'app_not_found')
      expectError(await server.admin('PATCH', '/admin/v1/apps/app_nope/platforms/web', { enforced: true }), 404, 'app_not_found')
      expectError(await server.admin('PATCH', `/admin/v1/apps/${appId}/platforms/windows`, { enforced: true }), 404, 'not_found')
      expectError(await server.admin('DELETE', `/admin/v1/apps/${appId}/platforms/web/secrets/sec_nope`), 404, 'not_found')
    })

    it('toggles enforcement per platform', async () => {
      const { appId } = await server.createApp()
      const on = await server.admin('PATCH', `/admin/v1/apps/${appId}/platforms/ios`, { enforced: true })
      expect(on.status).toBe(200)
      expect(on.body.platform.enforced).toBe(true)
      const app = (await server.admin('GET', `/admin/v1/apps/${appId}`)).body.app
      expect([app.platforms.web.enforced, app.platforms.ios.enforced, app.platforms.android.enforced]).toEqual([false, true, false])
      expectError(await server.admin('PATCH', `/admin/v1/apps/${appId}/platforms/ios`, { enforced: 'yes' }), 400, 'invalid_request')
      expectError(await server.admin('PATCH', `/admin/v1/apps/${appId}/platforms/ios`, {}), 400, 'invalid_request')
    })

    it('rotates and revokes secrets; never the last active one; a secret of another app is not found here', async () => {
      const a = await server.createApp('A')
      const b = await server.createApp('B')
      expectError(await server.admin('DELETE', `/admin/v1/apps/${a.appId}/platforms/web/secrets/${a.secretIds.web}`), 409, 'last_active_secret')
      expectError(await server.admin('DELETE', `/admin/v1/apps/${a.appId}/platforms/web/secrets/${b.secretIds.web}`), 404, 'not_found')
      expectError(await server.admin('DELETE', `/admin/v1/apps/${a.appId}/platforms/ios/secrets/${a.secretIds.web}`), 404, 'not_found')
      const rotated = await server.admin('POST', `/admin/v1/apps/${a.appId}/platforms/web/secrets`)
      expect(rotated.status).toBe(201)
      expect(rotated.body.secret.value).toMatch(/^vsk_[0-9a-f]{64}$/)
      const listed = await server.admin('GET', `/admin/v1/apps/${a.appId}/platforms/web/secrets`)
      expect(listed.body.secrets.map((s: { value: string }) => s.value)).toEqual([a.secrets.web, rotated.body.secret.value])
      expect((await server.admin('DELETE', `/admin/v1/apps/${a.appId}/platforms/web/secrets/${a.secretIds.web}`)).status).toBe(204)
      const after = await server.admin('GET', `/admin/v1/apps/${a.appId}/platforms/web/secrets`)
      expect(after.body.secrets.map((s: { id: string }) => s.id)).toEqual([rotated.body.secret.id])
      expectError(await server.admin('DELETE', `/admin/v1/apps/${a.appId}/platforms/web/secrets/${rotated.body.secret.id}`), 409, 'last_active_secret')
    })

    it('records last use of a secret (written in batches)', async () => {
      const a = await server.createApp()
      await server.request('POST', '/v1/messenger/auth', { body: { app_id: a.appId, platform: 'web', user_id: 'u', user_hash: hmacHex(a.secrets.web, 'u') } })
      await server.running.events.flush()
      const app = (await server.admin('GET', `/admin/v1/apps/${a.appId}`)).body.app
      expect(Date.parse(app.platforms.web.secrets[0].last_used_at)).toBeGreaterThan(Date.now() - 10_000)
      expect(app.platforms.ios.secrets[0].last_used_at).toBeNull()
    })

    it('keeps an audit log of who changed what, newest first, without secret values', async () => {
      const a = await server.createApp('Audited')
      await server.admin('PATCH', `/admin/v1/apps/${a.appId}/platforms/web`, { enforced: true })
      const rotated = await server.admin('POST', `/admin/v1/apps/${a.appId}/platforms/android/secrets`)
      await server.admin('DELETE', `/admin/v1/apps/${a.appId}/platforms/android/secrets/${a.secretIds.android}`)
      await server.admin('GET', `/admin/v1/apps/${a.appId}/platforms/ios/secrets`)
      const log = await server.admin('GET', `/admin/v1/audit-log?app_id=${a.appId}`)
      expect(log.status).toBe(200)
      expect(log.body.events.map((e: { action: string; platform: string | null }) => [e.action, e.platform])).toEqual([
        ['secrets.viewed', 'ios'],
        ['secret.revoked', 'android'],
        ['secret.created', 'android'],
        ['platform.enforced', 'web'],
        ['app.created', null],
      ])
      for (const event of log.body.events) {
        expect(event.actor).toBe('admin_key:env')
        expect(new Date(event.at).toISOString()).toBe(event.at)
      }
      const text = JSON.stringify(log.body)
      for (const value of [...Object.values(a.secrets), rotated.body.secret.value]) expect(text).not.toContain(value)
      const page = await server.admin('GET', `/admin/v1/audit-log?app_id=${a.appId}&limit=2`)
      const rest = await server.admin('GET', `/admin/v1/audit-log?app_id=${a.appId}&limit=10&cursor=${page.body.next_cursor}`)
      expect([...page.body.events, ...rest.body.events]).toEqual(log.body.events)
    })
  })
})
