import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { anonymousSession, unverifiedSession, verifiedSession, type MessengerSession } from './support/messenger-sessions.js'
import type { TestServer } from './support/test-server.js'
import { BACKENDS, startBackendServer } from './support/backends.js'

describe.each(BACKENDS)('admin conversations (%s)', (backend) => {
  let server: TestServer
  let app: Awaited<ReturnType<TestServer['createApp']>>
  let alice: MessengerSession
  let claim: MessengerSession
  let visitor: MessengerSession
  const ids = {} as Record<'verified' | 'unverified' | 'anonymous', string>

  beforeAll(async () => {
    server = await startBackendServer(backend)
    app = await server.createApp('Inbox')
    alice = await verifiedSession(server, app.appId, app.secrets.web, { userId: 'alice', email: 'alice@example.com' })
    claim = await unverifiedSession(server, app.appId, { userId: 'alice' }, undefined, 'android')
    visitor = await anonymousSession(server, app.appId, undefined, 'ios')
    const patched = await server.request('PATCH', '/v1/messenger/me', { token: alice.token, body: { name: 'Alice Liddell' } })
    expect(patched.status).toBe(200)
    const start = async (s: MessengerSession, body: string) => (await server.request('POST', '/v1/messenger/conversations', { token: s.token, body: { body } })).body.conversation.id
    ids.verified = await start(alice, 'verified')
    ids.unverified = await start(claim, 'unverified')
    ids.anonymous = await start(visitor, 'anonymous')
  })
  afterAll(() => server.close())

  describe('GET /admin/v1/apps/{app_id}/conversations', () => {
    it('lists every conversation of the app, newest first, with its user and trust', async () => {
      const res = await server.admin('GET', `/admin/v1/apps/${app.appId}/conversations`)
      expect(res.status).toBe(200)
      expect(res.body.next_cursor).toBeNull()
      expect(res.body.conversations.map((c: any) => c.id)).toEqual([ids.anonymous, ids.unverified, ids.verified])
      const [anonymous, unverified, verified] = res.body.conversations
      expect(verified).toMatchObject({
        verified: true,
        trust: 'verified',
        user: { user_id: 'alice', email: 'alice@example.com', name: 'Alice Liddell' },
        platform: 'web',
      })
      expect(verified.device_id).toBeUndefined()
      // The claim carries the same user id, but not the verified user's name: it proves nothing.
      expect(unverified).toMatchObject({ verified: false, trust: 'unverified', user: { user_id: 'alice', email: null, name: null }, platform: 'android' })
      expect(unverified.device_id).toBe(claim.user.device_id)
      expect(anonymous).toMatchObject({ verified: false, trust: 'anonymous', user: { user_id: null, email: null, name: null }, device_id: visitor.user.device_id })
      for (const c of res.body.conversations) expect(Date.parse(c.last_message_at)).not.toBeNaN()
    })

    it('filters by verified=true and verified=false', async () => {
      const yes = await server.admin('GET', `/admin/v1/apps/${app.appId}/conversations?verified=true`)
      expect(yes.body.conversations.map((c: any) => c.id)).toEqual([ids.verified])
      const no = await server.admin('GET', `/admin/v1/apps/${app.appId}/conversations?verified=false`)
      expect(no.body.conversations.map((c: any) => c.id)).toEqual([ids.anonymous, ids.unverified])
    })

    it('pages with limit and cursor', async () => {
      const first = await server.admin('GET', `/admin/v1/apps/${app.appId}/conversations?limit=2`)
      expect(first.body.conversations).toHaveLength(2)
      const second = await server.admin('GET', `/admin/v1/apps/${app.appId}/conversations?limit=2&cursor=${first.body.next_cursor}`)
      expect(second.body.conversations.map((c: any) => c.id)).toEqual([ids.verified])
      expect(second.body.next_cursor).toBeNull()
    })

    it('refuses bad input with the right code', async () => {
      const cases: [string, number, string][] = [
        [`/admin/v1/apps/${app.appId}/conversations?verified=yes`, 400, 'invalid_request'],
        [`/admin/v1/apps/${app.appId}/conversations?cursor=zzz`, 400, 'invalid_request'],
        [`/admin/v1/apps/${app.appId}/conversations?limit=-1`, 400, 'invalid_request'],
        [`/admin/v1/apps/${app.appId}/conversations?trust=verified`, 400, 'invalid_request'],
        ['/admin/v1/apps/app_00000000000000000000000000/conversations', 404, 'app_not_found'],
        ['/admin/v1/apps/nonsense/conversations', 404, 'app_not_found'],
      ]
      for (const [path, status, code] of cases) {
        const res = await server.admin('GET', path)
        expect([path, res.status, res.body.error.code]).toEqual([path, status, code])
      }
      const anonymousCaller = await server.request('GET', `/admin/v1/apps/${app.appId}/conversations`)
      expect([anonymousCaller.status, anonymousCaller.body.error.code]).toEqual([401, 'unauthorized'])
    })
  })

  describe('POST /admin/v1/apps/{app_id}/conversations/{id}/messages', () => {
    it('adds a teammate reply that the user reads', async () => {
      const res = await server.admin('POST', `/admin/v1/apps/${app.appId}/conversations/${ids.verified}/messages`, { body: 'Hi Alice, on it.' })
      expect(res.status).toBe(201)
      expect(res.body.message).toMatchObject({ author: 'teammate', body: 'Hi Alice, on it.' })
      const read = await server.request('GET', `/v1/messenger/conversations/${ids.verified}`, { token: alice.token })
      expect(read.body.conversation.messages.at(-1)).toEqual(res.body.message)
      const list = await server.admin('GET', `/admin/v1/apps/${app.appId}/conversations?verified=true`)
      expect(list.body.conversations[0].last_message_at).toBe(res.body.message.created_at)
    })

    it('answers 404 for a conversation of another app, or none, and writes nothing on any error', async () => {
      const other = await server.createApp('Another')
      const count = async () => (await server.running.data.db.selectFrom('messages').select('id').execute()).length
      const before = await count()
      const cases: [string, unknown, number, string][] = [
        [`/admin/v1/apps/${other.appId}/conversations/${ids.verified}/messages`, { body: 'hi' }, 404, 'not_found'],
        [`/admin/v1/apps/${app.appId}/conversations/conv_00000000000000000000000000/messages`, { body: 'hi' }, 404, 'not_found'],
        [`/admin/v1/apps/${app.appId}/conversations/garbage/messages`, { body: 'hi' }, 404, 'not_found'],
        ['/admin/v1/apps/app_00000000000000000000000000/conversations/conv_00000000000000000000000000/messages', { body: 'hi' }, 404, 'app_not_found'],
        [`/admin/v1/apps/${app.appId}/conversations/${ids.verified}/messages`, { body: ' ' }, 400, 'invalid_request'],
        [`/admin/v1/apps/${app.appId}/conversations/${ids.verified}/messages`, { body: 'x'.repeat(10_001) }, 400, 'invalid_request'],
        [`/admin/v1/apps/${app.appId}/conversations/${ids.verified}/messages`, { body: 'hi', author: 'user' }, 400, 'invalid_request'],
        [`/admin/v1/apps/${app.appId}/conversations/${ids.verified}/messages`, {}, 400, 'invalid_request'],
      ]
      for (const [path, body, status, code] of cases) {
        const res = await server.admin('POST', path, body)
        expect([path, res.status, res.body.error.code]).toEqual([path, status, code])
      }
      expect(await count()).toBe(before)
    })
  })
})
