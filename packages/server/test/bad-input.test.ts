import { request as httpRequest } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hmacHex } from './support/hmac.js'
import { TEST_ADMIN_KEY, type TestServer } from './support/test-server.js'
import { BACKENDS, startBackendServer } from './support/backends.js'

describe.each(BACKENDS)('bad input (%s)', (backend) => {
  let server: TestServer
  let app: Awaited<ReturnType<TestServer['createApp']>>
  const logLines: string[] = []

  beforeAll(async () => {
    server = await startBackendServer(backend, {}, { logLines })
    app = await server.createApp('Bad input')
  })
  afterAll(() => server.close())

  const auth = (body: unknown, headers?: Record<string, string>) => server.request('POST', '/v1/messenger/auth', { body, ...(headers && { headers }) })
  const valid = () => ({ app_id: app.appId, platform: 'web' })

  function expectError(res: { status: number; body: any }, status: number, code: string): void {
    expect(res.status).toBe(status)
    expect(res.body).toEqual({ error: { code, message: expect.any(String) } })
    expect(res.body.error.message.length).toBeGreaterThan(10)
  }

  describe('bad input always gets a clear 4xx with a stable code', () => {
    it.each([
      ['malformed JSON', '{"app_id": ', 'invalid_request'],
      ['a JSON array', '[]', 'invalid_request'],
      ['a JSON string', '"hello"', 'invalid_request'],
      ['null', 'null', 'invalid_request'],
    ])('%s → 400', async (_name, raw, code) => {
      expectError(await auth(raw), 400, code)
    })

    it.each([
      ['a numeric user_id', { user_id: 42 }, /user_id.*string/],
      ['an unknown field (a userId typo)', { userId: '42' }, /Unknown field "userId"/],
      ['an unknown platform', { platform: 'windows' }, /platform/],
      ['a missing platform', { platform: undefined }, /platform/],
      ['an empty user_id', { user_id: '' }, /user_id/],
      ['a user_id over 255 characters', { user_id: 'x'.repeat(256) }, /user_id.*255/],
      ['a NUL in user_id', { user_id: 'a\u0000b' }, /control characters/],
      ['a newline in email', { email: 'a@b.c\n' }, /control characters/],
      ['a lone surrogate', { user_id: '\ud800' }, /Unicode/],
      ['an app_version over 64 characters', { app_version: 'v'.repeat(65) }, /app_version/],
      // PostgreSQL text holds no NUL: stored, it would fail the statistics write of everyone's attempts.
      ['a NUL in app_version', { app_version: '1.0\u0000' }, /app_version.*control characters/],
      ['a NUL in sdk_version', { sdk_version: '1.0\u0000' }, /sdk_version.*control characters/],
      ['a control character in device_id', { device_id: 'dev\u0007' }, /device_id.*control characters/],
      ['a lone surrogate in app_version', { app_version: '1.0\ud800' }, /app_version.*Unicode/],
      ['a boolean user_hash', { user_id: '1', user_hash: true }, /user_hash/],
      ['a __proto__ key', JSON.parse('{"__proto__": {"x": 1}}'), /__proto__/],
    ])('%s → 400 invalid_request naming the field', async (_name, extra, message) => {
      const res = await auth({ ...valid(), ...extra })
      expectError(res, 400, 'invalid_request')
      expect(res.body.error.message).toMatch(message)
    })

    it("a version no database can store never holds up other users' statistics", async () => {
      const refused = await auth({ ...valid(), user_id: 'nul-version', app_version: 'a\u0000b' })
      expectError(refused, 400, 'invalid_request')
      const ok = await auth({ ...valid(), user_id: 'after-nul', app_version: 'a\u2028b' })
      expect(ok.status).toBe(200)
      await server.running.events.flush()
      const rollout = await server.admin('GET', `/admin/v1/apps/${app.appId}/platforms/web/rollout`)
      expect(rollout.body.versions.map((v: { app_version: string | null }) => v.app_version)).toContain('a\u2028b')
    })

    it('accepts 255 emoji as a user id: length counts characters, not UTF-16 units', async () => {
      const res = await auth({ ...valid(), user_id: '😀'.repeat(255) })
      expect(res.status).toBe(200)
    })

    it('non-JSON bodies get 415', async () => {
      expectError(await auth('app_id=x', { 'content-type': 'application/x-www-form-urlencoded' }), 415, 'unsupported_media_type')
      expectError(await auth(JSON.stringify(valid()), { 'content-type': 'text/plain' }), 415, 'unsupported_media_type')
    })

    it('bodies over 16 KiB get 413, checked before parsing and before the media type', async () => {
      const big = JSON.stringify({ ...valid(), device_id: 'x'.repeat(17 * 1024) })
      expectError(await auth(big), 413, 'payload_too_large')
      expectError(await auth(`{${'x'.repeat(17 * 1024)}`), 413, 'payload_too_large')
      expectError(await auth('y'.repeat(17 * 1024), { 'content-type': 'text/plain' }), 413, 'payload_too_large')
    })

    it('a chunked body that grows past the limit gets 413 too', async () => {
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpRequest(`${server.url}/v1/messenger/auth`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
          res.resume()
          resolve(res.statusCode ?? 0)
        })
        req.on('error', reject)
        for (let i = 0; i < 20; i++) req.write('x'.repeat(1024))
        req.end()
      })
      expect(status).toBe(413)
    })

    it('unknown endpoints are 404 and wrong methods 405, in the same error shape', async () => {
      expectError(await server.request('GET', '/v1/nope'), 404, 'not_found')
      const res = await server.request('GET', '/v1/messenger/auth')
      expectError(res, 405, 'method_not_allowed')
      expect(res.headers.get('allow')).toBe('POST')
    })

    it('never answers 500 to a battery of odd inputs', async () => {
      const odd: unknown[] = [{}, { app_id: null }, { app_id: ['x'] }, { ...valid(), user_hash: 'ZZ' }, { ...valid(), device_id: 12 }, { ...valid(), identity_token: '' }, { ...valid(), identity_token: 'a.b' }, { ...valid(), email: {} }]
      for (const body of odd) {
        const res = await auth(body)
        expect(res.status, JSON.stringify(body)).toBeGreaterThanOrEqual(200)
        expect(res.status, JSON.stringify(body)).toBeLessThan(500)
      }
    })

    it('never writes a secret, hash, token or admin key to a log line', async () => {
      const hash = hmacHex(app.secrets.web, 'log-user')
      const ok = await auth({ ...valid(), user_id: 'log-user', user_hash: hash })
      await auth({ ...valid(), user_id: 'log-user', user_hash: 'f'.repeat(64) })
      await server.request('GET', '/v1/messenger/me', { token: ok.body.access_token })
      await server.request('GET', '/v1/messenger/me', { token: `${ok.body.access_token}x` })
      await server.admin('GET', `/admin/v1/apps/${app.appId}/platforms/web/secrets`)
      await server.request('GET', '/admin/v1/apps', { token: 'wrong-admin-key-that-must-not-be-logged' })
      await server.running.events.flush()
      const all = logLines.join('\n')
      expect(logLines.length).toBeGreaterThan(3)
      for (const secret of [app.secrets.web, app.secrets.ios, app.secrets.android, hash, ok.body.access_token, TEST_ADMIN_KEY, 'wrong-admin-key-that-must-not-be-logged']) {
        expect(all).not.toContain(secret)
      }
    })
  })
})
