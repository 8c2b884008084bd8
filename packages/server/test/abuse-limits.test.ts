// Abuse limits (API.md, "Abuse limits" and the 429 row): a valid proof always passes the failure
// limit; sessions without a proof per client address, writes per messenger session and admin key
// guesses per client address are bounded. On every backend.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BACKENDS, startBackendServer } from './support/backends.js'
import { hmacHex } from './support/hmac.js'
import { TEST_ADMIN_KEY, type TestServer } from './support/test-server.js'

describe.each(BACKENDS)('abuse limits on %s', (backend) => {
  let server: TestServer
  let app: Awaited<ReturnType<TestServer['createApp']>>

  beforeAll(async () => {
    server = await startBackendServer(backend, {
      VERITY_FAILURE_LIMIT: '3',
      VERITY_CLIENT_SESSION_RATE: '4',
      VERITY_SESSION_WRITE_RATE: '3',
      VERITY_ADMIN_GUESS_RATE: '3',
      // The test speaks for several clients through a trusted proxy (itself, on loopback).
      VERITY_TRUSTED_PROXIES: '127.0.0.1,::1',
    })
    app = await server.createApp('Abuse limits')
  })
  afterAll(() => server?.close())

  /** A request from the client at `address`, as the trusted proxy forwards it. */
  const from = (address: string) => ({ 'x-forwarded-for': address })
  const auth = (address: string, body: Record<string, unknown>, platform = 'web') =>
    server.request('POST', '/v1/messenger/auth', { body: { app_id: app.appId, platform, ...body }, headers: from(address) })
  const expectRateLimited = (res: { status: number; body: any; headers: Headers }) => {
    expect(res.status).toBe(429)
    expect(res.body.error.code).toBe('rate_limited')
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0)
  }

  describe('the failure limit', () => {
    it('never blocks a valid proof: wrong hashes for a victim cannot lock the victim out', async () => {
      await server.admin('PATCH', `/admin/v1/apps/${app.appId}/platforms/android`, { enforced: true })
      const wrong = { user_id: 'victim', user_hash: '0'.repeat(64) }
      // Exactly VERITY_FAILURE_LIMIT refusals, then 429 for every further unproven attempt.
      for (let i = 0; i < 3; i++) {
        const refused = await auth('198.51.100.1', wrong, 'android')
        expect(refused.status).toBe(401)
        expect(refused.body.error.code).toBe('user_hash_invalid')
      }
      expectRateLimited(await auth('198.51.100.1', wrong, 'android'))
      expectRateLimited(await auth('198.51.100.1', { user_id: 'victim' }, 'android'))
      // The victim's own valid proof passes, from any address, and keeps passing.
      for (let i = 0; i < 3; i++) {
        const valid = await auth('198.51.100.1', { user_id: 'victim', user_hash: hmacHex(app.secrets.android, 'victim') }, 'android')
        expect(valid.status).toBe(200)
        expect(valid.body.user).toMatchObject({ user_id: 'victim', verified: true })
      }
      // Unproven attempts stay limited meanwhile; others are unaffected.
      expectRateLimited(await auth('198.51.100.2', wrong, 'android'))
      expect((await auth('198.51.100.2', { user_id: 'bystander', user_hash: '0'.repeat(64) }, 'android')).status).toBe(401)
    })
  })

  describe('sessions without a proof, per client address', () => {
    it(`allows VERITY_CLIENT_SESSION_RATE a minute, then 429 with Retry-After; valid proofs and other addresses pass`, async () => {
      const address = '203.0.113.7'
      // Anonymous and unverified sessions count together.
      expect((await auth(address, {})).status).toBe(200)
      expect((await auth(address, { user_id: 'u1' })).status).toBe(200)
      expect((await auth(address, { user_id: 'u2', user_hash: 'a'.repeat(64) })).status).toBe(200)
      expect((await auth(address, {})).status).toBe(200)
      expectRateLimited(await auth(address, {}))
      expectRateLimited(await auth(address, { user_id: 'u3' }))
      // A valid proof is never limited by this.
      const verified = await auth(address, { user_id: 'u4', user_hash: hmacHex(app.secrets.web, 'u4') })
      expect(verified.status).toBe(200)
      expect(verified.body.user.verified).toBe(true)
      // Another client address has its own allowance.
      expect((await auth('203.0.113.8', {})).status).toBe(200)
    })
  })

  describe('writes per messenger session', () => {
    it('allows VERITY_SESSION_WRITE_RATE conversations and messages a minute, then 429; reads and other sessions pass', async () => {
      const session = await auth('192.0.2.10', { user_id: 'writer', user_hash: hmacHex(app.secrets.web, 'writer') })
      const token: string = session.body.access_token
      const started = await server.request('POST', '/v1/messenger/conversations', { token, body: { body: 'one' } })
      expect(started.status).toBe(201)
      const id: string = started.body.conversation.id
      for (const body of ['two', 'three']) {
        expect((await server.request('POST', `/v1/messenger/conversations/${id}/messages`, { token, body: { body } })).status).toBe(201)
      }
      const reply = await server.request('POST', `/v1/messenger/conversations/${id}/messages`, { token, body: { body: 'four' } })
      expect(reply.status).toBe(429)
      expect(reply.body.error.code).toBe('rate_limited')
      expect(Number(reply.headers.get('retry-after'))).toBeGreaterThan(0)
      expect((await server.request('POST', '/v1/messenger/conversations', { token, body: { body: 'five' } })).status).toBe(429)
      // A new access token for the same user does not start afresh.
      const again = await auth('192.0.2.10', { user_id: 'writer', user_hash: hmacHex(app.secrets.web, 'writer') })
      expect((await server.request('POST', '/v1/messenger/conversations', { token: again.body.access_token, body: { body: 'six' } })).status).toBe(429)
      // Reads are not writes; nothing past the limit was written.
      const read = await server.request('GET', `/v1/messenger/conversations/${id}`, { token })
      expect(read.status).toBe(200)
      expect(read.body.conversation.messages.map((m: any) => m.body)).toEqual(['one', 'two', 'three'])
      // Another user writes on.
      const other = await auth('192.0.2.10', { user_id: 'other-writer', user_hash: hmacHex(app.secrets.web, 'other-writer') })
      expect((await server.request('POST', '/v1/messenger/conversations', { token: other.body.access_token, body: { body: 'hi' } })).status).toBe(201)
    })
  })

  describe('admin key guesses, per client address', () => {
    const adminFrom = (address: string, key: string) =>
      server.request('GET', '/admin/v1/apps', { headers: { ...from(address), authorization: `Bearer ${key}` } })

    it('allows VERITY_ADMIN_GUESS_RATE wrong keys a minute, then 429, even for the right key; other addresses unaffected', async () => {
      const guesser = '198.18.0.66'
      for (let i = 0; i < 3; i++) {
        const wrong = await adminFrom(guesser, `wrong-key-${i}-0123456789abcdef0123456789`)
        expect(wrong.status).toBe(401)
        expect(wrong.body.error.code).toBe('unauthorized')
      }
      expectRateLimited(await adminFrom(guesser, 'wrong-key-x-0123456789abcdef0123456789'))
      // So guessing right cannot be confirmed from a locked address.
      expectRateLimited(await adminFrom(guesser, TEST_ADMIN_KEY))
      expect((await adminFrom('198.18.0.67', TEST_ADMIN_KEY)).status).toBe(200)
      // Calls without any key are not guesses: they do not use up the allowance.
      for (let i = 0; i < 5; i++) expect((await server.request('GET', '/admin/v1/apps', { headers: from('198.18.0.68') })).status).toBe(401)
      expect((await adminFrom('198.18.0.68', TEST_ADMIN_KEY)).status).toBe(200)
    })
  })
})
