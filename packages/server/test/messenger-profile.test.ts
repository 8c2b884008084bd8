import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { epochSeconds, signHs256 } from './support/identity-token.js'
import { anonymousSession, unverifiedSession, verifiedSession, type MessengerSession } from './support/messenger-sessions.js'
import type { TestServer } from './support/test-server.js'
import { BACKENDS, startBackendServer, startOnSameData } from './support/backends.js'

describe.each(BACKENDS)('messenger profile (%s)', (backend) => {
  let server: TestServer
  let app: Awaited<ReturnType<TestServer['createApp']>>

  beforeAll(async () => {
    server = await startBackendServer(backend)
    app = await server.createApp('Profiles')
  })
  afterAll(() => server.close())

  const me = (s: MessengerSession) => server.request('GET', '/v1/messenger/me', { token: s.token })
  const patch = (s: MessengerSession, body: unknown) => server.request('PATCH', '/v1/messenger/me', { token: s.token, body })
  const userRows = async () => (await server.running.data.db.selectFrom('users').selectAll().execute()).length

  /** Authenticates with an identity token that signs `attributes`, and waits for them to be stored. */
  async function withSignedAttributes(userId: string, attributes: Record<string, unknown>): Promise<MessengerSession> {
    const identityToken = signHs256(app.secrets.web, { user_id: userId, exp: epochSeconds(300), attributes })
    const res = await server.request('POST', '/v1/messenger/auth', { body: { app_id: app.appId, platform: 'web', identity_token: identityToken } })
    expect(res.status).toBe(200)
    expect(res.body.user.verified).toBe(true)
    await server.running.events.flush()
    return { token: res.body.access_token, user: res.body.user }
  }

  describe('GET /v1/messenger/me', () => {
    it('shows the session user, and an empty profile to begin with', async () => {
      const alice = await verifiedSession(server, app.appId, app.secrets.web, { userId: 'me-alice', email: 'a@example.com' })
      const res = await me(alice)
      expect(res.status).toBe(200)
      expect(res.body.user).toEqual({
        user_id: 'me-alice',
        email: 'a@example.com',
        anonymous: false,
        verified: true,
        // The hash was over the user id; the email beside it is only claimed.
        email_verified: false,
        name: null,
        attributes: {},
        verified_attributes: {},
      })
    })

    it('shows an anonymous visitor its device and no profile', async () => {
      const visitor = await anonymousSession(server, app.appId)
      const res = await me(visitor)
      expect(res.body.user).toEqual({
        user_id: null,
        email: null,
        anonymous: true,
        verified: false,
        email_verified: false,
        device_id: visitor.user.device_id,
        name: null,
        attributes: {},
        verified_attributes: {},
      })
    })
  })

  describe('PATCH /v1/messenger/me', () => {
    it('sets the name and merges attributes for a verified user; null removes one', async () => {
      const bob = await verifiedSession(server, app.appId, app.secrets.web, { userId: 'me-bob' })
      const first = await patch(bob, { name: '  Bob Builder ', attributes: { plan: 'free', seats: 3, beta: true, note: null } })
      expect(first.status).toBe(200)
      expect(first.body.user).toMatchObject({ user_id: 'me-bob', verified: true, name: 'Bob Builder', attributes: { plan: 'free', seats: 3, beta: true } })
      const second = await patch(bob, { attributes: { beta: null, seats: 4 } })
      expect(second.body.user.attributes).toEqual({ plan: 'free', seats: 4 })
      expect(second.body.user.name).toBe('Bob Builder')
      // Another session of the same verified user, on another platform, sees the same profile.
      const again = await verifiedSession(server, app.appId, app.secrets.ios, { userId: 'me-bob' }, 'ios')
      expect((await me(again)).body.user).toMatchObject({ name: 'Bob Builder', attributes: { plan: 'free', seats: 4 } })
      const cleared = await patch(bob, { name: null })
      expect(cleared.body.user.name).toBeNull()
      expect((await patch(bob, {})).status).toBe(200)
    })

    it('keeps profiles apart: other users, claims to the same id, the same id in another app', async () => {
      const carol = await verifiedSession(server, app.appId, app.secrets.web, { userId: 'me-carol' })
      expect((await patch(carol, { name: 'Carol', attributes: { vip: true } })).status).toBe(200)
      const claim = await unverifiedSession(server, app.appId, { userId: 'me-carol' })
      expect((await me(claim)).body.user).toMatchObject({ user_id: 'me-carol', verified: false, name: null, attributes: {} })
      const emailCarol = await verifiedSession(server, app.appId, app.secrets.web, { email: 'me-carol' })
      expect((await me(emailCarol)).body.user).toMatchObject({ name: null, attributes: {} })
      const other = await server.createApp('Elsewhere')
      const elsewhere = await verifiedSession(server, other.appId, other.secrets.web, { userId: 'me-carol' })
      expect((await me(elsewhere)).body.user).toMatchObject({ name: null, attributes: {} })
    })

    it('answers 403 verification_required to unverified and anonymous sessions, and writes nothing', async () => {
      const before = await userRows()
      for (const session of [await unverifiedSession(server, app.appId, { userId: 'me-dave' }), await anonymousSession(server, app.appId)]) {
        const res = await patch(session, { name: 'Dave' })
        expect([res.status, res.body.error.code]).toEqual([403, 'verification_required'])
      }
      expect(await userRows()).toBe(before)
    })

    it('shows signed attributes as verified, and answers 409 signed_attribute to changing them', async () => {
      const erin = await withSignedAttributes('me-erin', { plan: 'enterprise', name: 'Erin E.', limits: { seats: 10 } })
      const shown = await me(erin)
      expect(shown.body.user).toMatchObject({
        name: 'Erin E.',
        attributes: { plan: 'enterprise', name: 'Erin E.', limits: { seats: 10 } },
        verified_attributes: { plan: 'enterprise', name: 'Erin E.', limits: { seats: 10 } },
      })
      for (const body of [{ attributes: { plan: 'free' } }, { attributes: { plan: null } }, { attributes: { limits: 'none' } }, { name: 'Mallory' }]) {
        const res = await patch(erin, body)
        expect([JSON.stringify(body), res.status, res.body.error.code]).toEqual([JSON.stringify(body), 409, 'signed_attribute'])
      }
      const fine = await patch(erin, { attributes: { plan: 'enterprise', color: 'blue' } })
      expect(fine.status).toBe(200)
      expect(fine.body.user.attributes).toEqual({ plan: 'enterprise', name: 'Erin E.', limits: { seats: 10 }, color: 'blue' })
      expect(fine.body.user.verified_attributes).toEqual({ plan: 'enterprise', name: 'Erin E.', limits: { seats: 10 } })

      // A later token's attributes replace the earlier ones; the messenger's own stay.
      const later = await withSignedAttributes('me-erin', { plan: 'pro' })
      expect((await me(later)).body.user).toMatchObject({ name: null, attributes: { plan: 'pro', color: 'blue' }, verified_attributes: { plan: 'pro' } })
    })

    it('refuses out-of-bounds and malformed patches with 400 invalid_request, writing nothing', async () => {
      const frank = await verifiedSession(server, app.appId, app.secrets.web, { userId: 'me-frank' })
      expect((await patch(frank, { name: 'Frank', attributes: { keep: 'me' } })).status).toBe(200)
      const fifty = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`a${i}`, i]))
      const cases: unknown[] = [
        { name: 'x'.repeat(101) },
        { name: '' },
        { name: '   ' },
        { name: 42 },
        { name: 'tab\tname' },
        { attributes: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, i])) },
        { attributes: { ['k'.repeat(65)]: 1 } },
        { attributes: { '': 1 } },
        { attributes: { nested: { a: 1 } } },
        { attributes: { list: [1, 2] } },
        { attributes: { nul: 'a\u0000b' } },
        { attributes: 'plan=pro' },
        { attributes: [1] },
        { attributes: JSON.parse('{"__proto__": "x"}') },
        JSON.parse('{"__proto__": {"name": "x"}}'),
        { nickname: 'typo' },
        { attributes: { big: 'x'.repeat(8200) } },
        { attributes: fifty }, // 50 new + the 1 kept = 51
      ]
      for (const body of cases) {
        const res = await patch(frank, body)
        expect([JSON.stringify(body).slice(0, 60), res.status, res.body.error?.code]).toEqual([JSON.stringify(body).slice(0, 60), 400, 'invalid_request'])
      }
      expect((await me(frank)).body.user).toMatchObject({ name: 'Frank', attributes: { keep: 'me' } })
      const tooBig = await patch(frank, { attributes: { big: 'x'.repeat(17 * 1024) } })
      expect([tooBig.status, tooBig.body.error.code]).toEqual([413, 'payload_too_large'])
    })

    it('accepts exactly the bounds', async () => {
      const grace = await verifiedSession(server, app.appId, app.secrets.web, { userId: 'me-grace' })
      const fifty = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`${'k'.repeat(60)}${String(i).padStart(2, '0')}`, i]))
      const res = await patch(grace, { name: 'g'.repeat(100), attributes: fifty })
      expect(res.status).toBe(200)
      expect(Object.keys(res.body.user.attributes)).toHaveLength(50)
    })

    it('keeps concurrent patches of one user, sent to two instances on the same data (no lost update)', async () => {
      const heidi = await verifiedSession(server, app.appId, app.secrets.web, { userId: 'me-heidi' })
      const second = await startOnSameData(server)
      try {
        const results = await Promise.all(
          Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? server : second).request('PATCH', '/v1/messenger/me', { token: heidi.token, body: { attributes: { [`k${i}`]: i } } })),
        )
        expect(results.map((r) => r.status)).toEqual(Array(8).fill(200))
      } finally {
        await second.close()
      }
      expect(Object.keys((await me(heidi)).body.user.attributes).sort()).toEqual(Array.from({ length: 8 }, (_, i) => `k${i}`).sort())
    })
  })
})
