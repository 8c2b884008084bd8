import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { epochSeconds, signHs256 } from './support/identity-token.js'
import { anonymousSession, unverifiedSession, verifiedSession, type MessengerSession } from './support/messenger-sessions.js'
import { freshPostgresDatabase } from './support/postgres-database.js'
import { openEventStream } from './support/sse-client.js'
import { startTestServer, type TestServer } from './support/test-server.js'

/** The same conversations, profiles and live events on PostgreSQL: one schema, one query layer. */
let first: TestServer
let second: TestServer
let app: Awaited<ReturnType<TestServer['createApp']>>
let alice: MessengerSession

beforeAll(async () => {
  // Every instance on one database shares the master key (API.md).
  const env = { DATABASE_URL: await freshPostgresDatabase(), VERITY_MASTER_KEY: 'ab'.repeat(32) }
  first = await startTestServer(env)
  second = await startTestServer(env)
  app = await first.createApp('On PostgreSQL')
  alice = await verifiedSession(first, app.appId, app.secrets.web, { userId: 'pg-alice' })
})
afterAll(async () => {
  await second?.close()
  await first?.close()
})

describe('messenger API on PostgreSQL', () => {
  it('keeps spaces apart and pages newest first', async () => {
    const claim = await unverifiedSession(first, app.appId, { userId: 'pg-alice' })
    const visitor = await anonymousSession(first, app.appId)
    const start = async (s: MessengerSession, body: string) =>
      (await first.request('POST', '/v1/messenger/conversations', { token: s.token, body: { body } })).body.conversation.id as string
    const mine = [await start(alice, 'one'), await start(alice, 'two'), await start(alice, 'three')]
    const theirs = await start(claim, 'claim')
    const anon = await start(visitor, 'anonymous')

    const page1 = await first.request('GET', '/v1/messenger/conversations?limit=2', { token: alice.token })
    const page2 = await first.request('GET', `/v1/messenger/conversations?limit=2&cursor=${page1.body.next_cursor}`, { token: alice.token })
    expect([...page1.body.conversations, ...page2.body.conversations].map((c: any) => c.id)).toEqual([...mine].reverse())
    expect(page2.body.next_cursor).toBeNull()
    expect(page1.body.conversations[0].last_message.body).toBe('three')

    for (const id of [theirs, anon]) {
      const res = await first.request('GET', `/v1/messenger/conversations/${id}`, { token: alice.token })
      expect([res.status, res.body.error.code]).toEqual([404, 'not_found'])
    }
    const resumed = await anonymousSession(second, app.appId, visitor.user.device_id)
    const listed = await second.request('GET', '/v1/messenger/conversations', { token: resumed.token })
    expect(listed.body.conversations.map((c: any) => c.id)).toEqual([anon])

    const admin = await first.admin('GET', `/admin/v1/apps/${app.appId}/conversations?verified=false`)
    expect(admin.body.conversations.map((c: any) => c.id)).toEqual([anon, theirs])
  })

  it('refuses a NUL byte with 400 instead of failing in the database', async () => {
    const res = await first.request('POST', '/v1/messenger/conversations', { token: alice.token, body: { body: 'a\u0000b' } })
    expect([res.status, res.body.error.code]).toEqual([400, 'invalid_request'])
  })

  it('stores profiles and signed attributes', async () => {
    const token = signHs256(app.secrets.web, { user_id: 'pg-bob', exp: epochSeconds(300), attributes: { plan: 'pro' } })
    const auth = await first.request('POST', '/v1/messenger/auth', { body: { app_id: app.appId, platform: 'web', identity_token: token } })
    await first.running.events.flush()
    const bob = auth.body.access_token
    const patched = await first.request('PATCH', '/v1/messenger/me', { token: bob, body: { name: 'Bob', attributes: { color: 'red' } } })
    expect(patched.status).toBe(200)
    const refused = await first.request('PATCH', '/v1/messenger/me', { token: bob, body: { attributes: { plan: 'free' } } })
    expect([refused.status, refused.body.error.code]).toEqual([409, 'signed_attribute'])
    const concurrent = await Promise.all(Array.from({ length: 6 }, (_, i) => second.request('PATCH', '/v1/messenger/me', { token: bob, body: { attributes: { [`k${i}`]: i } } })))
    expect(concurrent.map((r) => r.status)).toEqual(Array(6).fill(200))
    const me = await second.request('GET', '/v1/messenger/me', { token: bob })
    expect(me.body.user).toMatchObject({ name: 'Bob', verified_attributes: { plan: 'pro' }, attributes: { plan: 'pro', color: 'red', k0: 0, k5: 5 } })
  })

  it("delivers a teammate's reply written by one process to a stream held by the other within 2 s", async () => {
    const created = await first.request('POST', '/v1/messenger/conversations', { token: alice.token, body: { body: 'live on pg' } })
    const stream = await openEventStream(second.url, { token: alice.token })
    try {
      expect(stream.status).toBe(200)
      const reply = await first.admin('POST', `/admin/v1/apps/${app.appId}/conversations/${created.body.conversation.id}/messages`, { body: 'from process one' })
      const event = await stream.next((e) => e.id === reply.body.message.id, 2_000)
      expect(JSON.parse(event.data)).toEqual({ conversation_id: created.body.conversation.id, message: reply.body.message })
    } finally {
      stream.close()
    }
    const again = await openEventStream(first.url, { token: alice.token, lastEventId: created.body.conversation.messages[0].id })
    try {
      await again.next((e) => JSON.parse(e.data).message.body === 'from process one')
    } finally {
      again.close()
    }
  })
})
