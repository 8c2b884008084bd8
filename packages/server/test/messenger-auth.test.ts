import { execFileSync } from 'node:child_process'
import { createHmac } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hmacHex } from './support/hmac.js'
import type { TestServer } from './support/test-server.js'
import { BACKENDS, startBackendServer } from './support/backends.js'

describe.each(BACKENDS)('messenger auth (%s)', (backend) => {
  let server: TestServer
  let app: Awaited<ReturnType<TestServer['createApp']>>

  beforeAll(async () => {
    server = await startBackendServer(backend, { VERITY_FAILURE_LIMIT: '3' })
    app = await server.createApp('Auth tests')
  })
  afterAll(() => server.close())

  const auth = (body: Record<string, unknown>) => server.request('POST', '/v1/messenger/auth', { body: { app_id: app.appId, platform: 'web', ...body } })
  const enforce = (platform: string, enforced: boolean) => server.admin('PATCH', `/admin/v1/apps/${app.appId}/platforms/${platform}`, { enforced })
  const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString())

  describe('POST /v1/messenger/auth: identity verification end to end', () => {
    it('issues a verified access token for a valid hash', async () => {
      const res = await auth({ user_id: '42', user_hash: hmacHex(app.secrets.web, '42'), app_version: '2.3.0' })
      expect(res.status).toBe(200)
      expect(res.body).toMatchObject({ token_type: 'Bearer', expires_in: 900, user: { user_id: '42', email: null, anonymous: false, verified: true } })
      expect(res.body.user.device_id).toBeUndefined()
      const header = JSON.parse(Buffer.from(res.body.access_token.split('.')[0], 'base64url').toString())
      expect(header).toMatchObject({ alg: 'HS256', typ: 'at+jwt' })
      expect(header.kid).toMatch(/^key_/)
      const claims = claimsOf(res.body.access_token)
      expect(claims).toMatchObject({ iss: 'verity', aud: app.appId, trust: 'verified', plt: 'web', sid: app.secretIds.web })
      expect(claims.exp - claims.iat).toBe(900)
      expect(res.headers.get('cache-control')).toBe('no-store')
      const me = await server.request('GET', '/v1/messenger/me', { token: res.body.access_token })
      expect(me.status).toBe(200)
      expect(me.body.user).toMatchObject({ user_id: '42', verified: true, anonymous: false })
    })

    it('verifies hashes made by openssl and by Python, upper- or lower-case', async () => {
      const openssl = execFileSync('sh', ['-c', `printf '%s' 'user-7' | openssl dgst -sha256 -hmac "$S" | sed 's/^.*= //'`], { env: { ...process.env, S: app.secrets.web } })
        .toString()
        .trim()
      expect((await auth({ user_id: 'user-7', user_hash: openssl })).body.user.verified).toBe(true)
      const python = execFileSync('python3', ['-c', 'import hmac,hashlib,sys; print(hmac.new(sys.argv[1].encode(), sys.argv[2].encode(), hashlib.sha256).hexdigest().upper())', app.secrets.web, 'José'])
        .toString()
        .trim()
      expect((await auth({ user_id: 'José', user_hash: python })).body.user.verified).toBe(true)
    })

    it('hashes the user id when both user id and email are sent; an email hash then fails', async () => {
      await enforce('web', true)
      try {
        const ok = await auth({ user_id: '42', email: 'a@example.com', user_hash: hmacHex(app.secrets.web, '42') })
        expect(ok.body.user).toMatchObject({ user_id: '42', email: 'a@example.com', verified: true })
        const overEmail = await auth({ user_id: '43', email: 'b@example.com', user_hash: hmacHex(app.secrets.web, 'b@example.com') })
        expect(overEmail.status).toBe(401)
        expect(overEmail.body.error.code).toBe('user_hash_invalid')
        const emailOnly = await auth({ email: 'b@example.com', user_hash: hmacHex(app.secrets.web, 'b@example.com') })
        expect(emailOnly.body.user).toMatchObject({ user_id: null, email: 'b@example.com', verified: true })
      } finally {
        await enforce('web', false)
      }
    })

    it('uses the bytes exactly as sent: no trimming, no case folding', async () => {
      await enforce('web', true)
      try {
        for (const [sent, hashed] of [[' 44', '44'], ['Bob@Example.com', 'bob@example.com'], ['45\n', '45']] as const) {
          const field = sent.includes('@') ? 'email' : 'user_id'
          const res = await auth({ [field]: sent, user_hash: hmacHex(app.secrets.web, hashed) })
          expect(res.status, JSON.stringify(sent)).toBe(sent.includes('\n') ? 400 : 401)
        }
      } finally {
        await enforce('web', false)
      }
    })

    it('never accepts another platform secret: web, ios and android are separate', async () => {
      await enforce('ios', true)
      try {
        const withWebSecret = await server.request('POST', '/v1/messenger/auth', { body: { app_id: app.appId, platform: 'ios', user_id: '42', user_hash: hmacHex(app.secrets.web, '42') } })
        expect(withWebSecret.status).toBe(401)
        expect(withWebSecret.body.error.code).toBe('user_hash_invalid')
        const withIosSecret = await server.request('POST', '/v1/messenger/auth', { body: { app_id: app.appId, platform: 'ios', user_id: '42', user_hash: hmacHex(app.secrets.ios, '42') } })
        expect(withIosSecret.body.user.verified).toBe(true)
      } finally {
        await enforce('ios', false)
      }
    })

    it('enforced: an identified user without a proof gets 401 user_hash_missing; anonymous visitors still get in', async () => {
      await enforce('android', true)
      try {
        const body = { app_id: app.appId, platform: 'android' }
        const missing = await server.request('POST', '/v1/messenger/auth', { body: { ...body, user_id: '50' } })
        expect(missing.status).toBe(401)
        expect(missing.body.error.code).toBe('user_hash_missing')
        const anonymous = await server.request('POST', '/v1/messenger/auth', { body })
        expect(anonymous.status).toBe(200)
        expect(anonymous.body.user).toMatchObject({ user_id: null, email: null, anonymous: true, verified: false })
        expect(anonymous.body.user.device_id).toMatch(/^dev_/)
      } finally {
        await enforce('android', false)
      }
    })

    it('not enforced: missing or invalid proofs are let in unverified, with a device', async () => {
      const missing = await auth({ user_id: '60' })
      expect(missing.status).toBe(200)
      expect(missing.body.user).toMatchObject({ user_id: '60', verified: false, anonymous: false })
      expect(missing.body.user.device_id).toMatch(/^dev_/)
      const invalid = await auth({ user_id: '60', user_hash: 'f'.repeat(64) })
      expect(invalid.body.user.verified).toBe(false)
      expect(claimsOf(invalid.body.access_token)).toMatchObject({ trust: 'unverified', did: invalid.body.user.device_id })
    })

    it('a device id resumes that device; one this app never issued is replaced', async () => {
      const first = await auth({})
      const deviceId = first.body.user.device_id
      const again = await auth({ device_id: deviceId })
      expect(again.body.user.device_id).toBe(deviceId)
      const madeUp = await auth({ device_id: 'dev_made-up' })
      expect(madeUp.body.user.device_id).not.toBe('dev_made-up')
      const other = await server.createApp('Other app')
      const elsewhere = await server.request('POST', '/v1/messenger/auth', { body: { app_id: other.appId, platform: 'web', device_id: deviceId } })
      expect(elsewhere.body.user.device_id).not.toBe(deviceId)
    })

    it('a user id and an email are different users', async () => {
      const asId = await auth({ user_id: 'c@example.com', user_hash: hmacHex(app.secrets.web, 'c@example.com') })
      const asEmail = await auth({ email: 'c@example.com', user_hash: hmacHex(app.secrets.web, 'c@example.com') })
      expect(claimsOf(asId.body.access_token).sub).not.toBe(claimsOf(asEmail.body.access_token).sub)
    })

    it('rotation: both secrets verify until the old one is revoked; revoking ends its tokens', async () => {
      const rotated = await server.admin('POST', `/admin/v1/apps/${app.appId}/platforms/web/secrets`)
      expect(rotated.status).toBe(201)
      const newSecret = rotated.body.secret.value
      const oldToken = (await auth({ user_id: '70', user_hash: hmacHex(app.secrets.web, '70') })).body.access_token
      const newToken = (await auth({ user_id: '70', user_hash: hmacHex(newSecret, '70') })).body
      expect(newToken.user.verified).toBe(true)
      const revoke = await server.admin('DELETE', `/admin/v1/apps/${app.appId}/platforms/web/secrets/${app.secretIds.web}`)
      expect(revoke.status).toBe(204)
      const afterRevoke = await server.request('GET', '/v1/messenger/me', { token: oldToken })
      expect(afterRevoke.status).toBe(401)
      expect(afterRevoke.body.error.code).toBe('token_invalid')
      expect(afterRevoke.headers.get('www-authenticate')).toMatch(/^Bearer/)
      expect((await server.request('GET', '/v1/messenger/me', { token: newToken.access_token })).status).toBe(200)
      expect((await auth({ user_id: '70', user_hash: hmacHex(app.secrets.web, '70') })).body.user.verified).toBe(false)
      app.secrets.web = newSecret
      app.secretIds.web = rotated.body.secret.id
    })

    it('429 after VERITY_FAILURE_LIMIT refusals for one identifier; a valid proof still passes; others unaffected', async () => {
      await enforce('web', true)
      try {
        for (let i = 0; i < 3; i++) expect((await auth({ user_id: 'victim', user_hash: '0'.repeat(64) })).status).toBe(401)
        const blocked = await auth({ user_id: 'victim', user_hash: '1'.repeat(64) })
        expect(blocked.status).toBe(429)
        expect(blocked.body.error.code).toBe('rate_limited')
        expect(blocked.body.error.message).toMatch(/failed attempts/)
        expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0)
        expect((await auth({ user_id: 'victim' })).status).toBe(429)
        expect((await auth({ user_id: 'victim', user_hash: hmacHex(app.secrets.web, 'victim') })).body.user).toMatchObject({ user_id: 'victim', verified: true })
        expect((await auth({ user_id: 'bystander', user_hash: '0'.repeat(64) })).status).toBe(401)
        const otherPlatform = await server.request('POST', '/v1/messenger/auth', { body: { app_id: app.appId, platform: 'ios', user_id: 'victim', user_hash: '0'.repeat(64) } })
        expect(otherPlatform.status).toBe(200)
        expect(otherPlatform.body.user.verified).toBe(false)
      } finally {
        await enforce('web', false)
      }
    })

    it('identity tokens: verified with signed attributes; expired, unsigned or wrong-platform ones refused when enforced', async () => {
      const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
      const sign = (secret: string, payload: object, header: object = { alg: 'HS256', typ: 'JWT' }) => {
        const input = `${b64(header)}.${b64(payload)}`
        return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`
      }
      const exp = Math.floor(Date.now() / 1000) + 300
      const ok = await auth({ identity_token: sign(app.secrets.web, { user_id: '80', exp, attributes: { plan: 'pro' } }) })
      expect(ok.body.user).toMatchObject({ user_id: '80', verified: true })
      await enforce('web', true)
      try {
        // Distinct users, so the failure limit (3 here) stays out of the way.
        for (const token of [
          sign(app.secrets.web, { user_id: '81', exp: exp - 600 }),
          `${b64({ alg: 'none' })}.${b64({ user_id: '82', exp })}.`,
          sign(app.secrets.ios, { user_id: '83', exp }),
          sign(app.secrets.web, { user_id: '84', exp }, { alg: 'HS256', kid: 'sec_unknown' }),
          'garbage',
        ]) {
          const res = await auth({ identity_token: token })
          expect(res.status).toBe(401)
          expect(res.body.error.code).toBe('user_hash_invalid')
        }
      } finally {
        await enforce('web', false)
      }
      expect((await auth({ identity_token: 'garbage' })).status).toBe(401)
    })

    it('refuses ambiguous proofs: both a hash and a token, or an identity beside a token', async () => {
      const both = await auth({ user_id: '1', user_hash: 'a'.repeat(64), identity_token: 'x.y.z' })
      expect(both.status).toBe(400)
      expect(both.body.error.code).toBe('invalid_request')
      const beside = await auth({ user_id: '1', identity_token: 'x.y.z' })
      expect(beside.status).toBe(400)
      expect(beside.body.error.code).toBe('invalid_request')
    })

    it('answers 404 app_not_found for an unknown app', async () => {
      const res = await server.request('POST', '/v1/messenger/auth', { body: { app_id: 'app_unknown', platform: 'web' } })
      expect(res.status).toBe(404)
      expect(res.body.error.code).toBe('app_not_found')
    })
  })
})
