import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BACKENDS, startBackendServer } from './support/backends.js'
import { epochSeconds, signHs256 } from './support/identity-token.js'
import type { TestServer } from './support/test-server.js'

/*
 * The attributes an identity token signs are stored before the login is answered: the very next
 * call sees them, and cannot overwrite them. No flush of the statistics is awaited here.
 */
describe.each(BACKENDS)('signed attributes, right after login (%s)', (backend) => {
  let server: TestServer
  let app: Awaited<ReturnType<TestServer['createApp']>>
  beforeAll(async () => {
    // The statistics buffer writes every second; a flush must not be what makes this pass.
    server = await startBackendServer(backend)
    app = await server.createApp('Signed at login')
  })
  afterAll(() => server?.close())

  const login = async (userId: string, attributes: Record<string, unknown>) => {
    const identityToken = signHs256(app.secrets.web, { user_id: userId, exp: epochSeconds(300), attributes })
    const res = await server.request('POST', '/v1/messenger/auth', { body: { app_id: app.appId, platform: 'web', identity_token: identityToken } })
    expect(res.status).toBe(200)
    return res.body.access_token as string
  }

  it('GET /v1/messenger/me shows them at once', async () => {
    for (let i = 0; i < 5; i++) {
      const token = await login(`at-once-${i}`, { plan: 'enterprise', seats: 10 + i })
      const me = await server.request('GET', '/v1/messenger/me', { token })
      expect(me.status).toBe(200)
      expect(me.body.user.verified_attributes).toEqual({ plan: 'enterprise', seats: 10 + i })
    }
  })

  it('PATCH /v1/messenger/me cannot overwrite them, even at once', async () => {
    for (let i = 0; i < 5; i++) {
      const token = await login(`no-overwrite-${i}`, { plan: 'enterprise' })
      const patch = await server.request('PATCH', '/v1/messenger/me', { token, body: { attributes: { plan: 'free' } } })
      expect([patch.status, patch.body.error?.code]).toEqual([409, 'signed_attribute'])
      const me = await server.request('GET', '/v1/messenger/me', { token })
      expect(me.body.user.attributes.plan).toBe('enterprise')
    }
  })

  it('a later login replaces them at once too', async () => {
    await login('replaced', { plan: 'enterprise' })
    const token = await login('replaced', { plan: 'pro' })
    expect((await server.request('GET', '/v1/messenger/me', { token })).body.user.verified_attributes).toEqual({ plan: 'pro' })
  })
})
