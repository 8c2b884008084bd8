import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BACKENDS, startBackendServer } from './support/backends.js'
import { epochSeconds, signHs256 } from './support/identity-token.js'
import type { TestServer } from './support/test-server.js'

const TEN_YEARS = 10 * 365 * 86_400

describe.each(BACKENDS)('identity tokens that live too long or name a crit extension (%s)', (backend) => {
  let server: TestServer
  let app: Awaited<ReturnType<TestServer['createApp']>>
  beforeAll(async () => {
    server = await startBackendServer(backend)
    app = await server.createApp('Token limits')
    expect((await server.admin('PATCH', `/admin/v1/apps/${app.appId}/platforms/ios`, { enforced: true })).status).toBe(200)
  })
  afterAll(() => server?.close())

  const auth = (platform: string, identityToken: string) =>
    server.request('POST', '/v1/messenger/auth', { body: { app_id: app.appId, platform, identity_token: identityToken } })
  const tenYears = (secret: string, userId: string) => signHs256(secret, { user_id: userId, iat: epochSeconds(), exp: epochSeconds(TEN_YEARS) })
  const withCrit = (secret: string, userId: string) => signHs256(secret, { user_id: userId, exp: epochSeconds(300) }, { crit: ['exp'] })

  it('refuses them with 401 user_hash_invalid where enforced, and lets them in unverified elsewhere', async () => {
    for (const token of [tenYears(app.secrets.ios, 'ten-years-ios'), withCrit(app.secrets.ios, 'crit-ios')]) {
      const res = await auth('ios', token)
      expect(res.status).toBe(401)
      expect(res.body.error.code).toBe('user_hash_invalid')
    }
    for (const token of [tenYears(app.secrets.web, 'ten-years-web'), withCrit(app.secrets.web, 'crit-web')]) {
      const res = await auth('web', token)
      expect(res.status).toBe(200)
      expect(res.body.user.verified).toBe(false)
    }
  })

  it('accepts a token of exactly 24 hours, and one without iat that ends within 24 hours', async () => {
    const day = signHs256(app.secrets.ios, { user_id: 'one-day', iat: epochSeconds(), exp: epochSeconds(86_400) })
    expect((await auth('ios', day)).body.user).toMatchObject({ user_id: 'one-day', verified: true })
    const noIat = signHs256(app.secrets.ios, { user_id: 'no-iat', exp: epochSeconds(3_600) })
    expect((await auth('ios', noIat)).body.user).toMatchObject({ user_id: 'no-iat', verified: true })
    const noIatTooLong = signHs256(app.secrets.ios, { user_id: 'no-iat-long', exp: epochSeconds(2 * 86_400) })
    expect((await auth('ios', noIatTooLong)).status).toBe(401)
  })

  it('tells admins why in the failure log', async () => {
    await server.running.events.flush()
    const res = await server.admin('GET', `/admin/v1/apps/${app.appId}/failures?limit=100`)
    expect(res.status).toBe(200)
    const diagnoses = Object.fromEntries(res.body.failures.map((f: { user_id: string; diagnosis: string; refused: boolean }) => [f.user_id, [f.diagnosis, f.refused]]))
    expect(diagnoses).toEqual({
      'ten-years-ios': ['identity_token_lifetime', true],
      'crit-ios': ['identity_token_crit', true],
      'ten-years-web': ['identity_token_lifetime', false],
      'crit-web': ['identity_token_crit', false],
      'no-iat-long': ['identity_token_lifetime', true],
    })
  })
})
