// The reads behind the dashboard's inbox and failures screens: every app's conversations, one
// conversation with its messages, and failures filtered by diagnosis.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { anonymousSession, verifiedSession } from './support/messenger-sessions.js'
import { BACKENDS, startBackendServer } from './support/backends.js'
import type { TestServer } from './support/test-server.js'
import { within } from './support/within.js'

describe.each(BACKENDS)('inbox and failure reads (%s)', (backend) => {
  let server: TestServer
  let shop: Awaited<ReturnType<TestServer['createApp']>>
  let blog: Awaited<ReturnType<TestServer['createApp']>>
  const ids: Record<string, string> = {}

  beforeAll(async () => {
    server = await startBackendServer(backend)
    shop = await server.createApp('Shop')
    blog = await server.createApp('Blog')
    const alice = await verifiedSession(server, shop.appId, shop.secrets.web, { userId: 'alice' })
    expect((await server.request('PATCH', '/v1/messenger/me', { token: alice.token, body: { name: 'Alice' } })).status).toBe(200)
    const visitor = await anonymousSession(server, blog.appId)
    const start = async (token: string, body: string) => (await server.request('POST', '/v1/messenger/conversations', { token, body: { body } })).body.conversation.id as string
    ids.alice = await start(alice.token, 'Hello from the shop')
    ids.visitor = await start(visitor.token, 'Hello from the blog')
  })
  afterAll(() => server.close())

  it('GET /admin/v1/conversations lists every app\'s conversations, newest first, each with its app and user', async () => {
    const res = await server.admin('GET', '/admin/v1/conversations')
    expect(res.status).toBe(200)
    expect(res.body.conversations.map((c: any) => [c.id, c.app_id, c.trust])).toEqual([
      [ids.visitor, blog.appId, 'anonymous'],
      [ids.alice, shop.appId, 'verified'],
    ])
    expect(res.body.conversations[1].user).toMatchObject({ user_id: 'alice', name: 'Alice' })
    expect((await server.admin('GET', '/admin/v1/conversations?verified=true')).body.conversations.map((c: any) => c.id)).toEqual([ids.alice])
    const page = await server.admin('GET', '/admin/v1/conversations?limit=1')
    expect((await server.admin('GET', `/admin/v1/conversations?limit=1&cursor=${page.body.next_cursor}`)).body.conversations[0].id).toBe(ids.alice)
    const bad = await server.admin('GET', '/admin/v1/conversations?verified=maybe')
    expect([bad.status, bad.body.error.code]).toEqual([400, 'invalid_request'])
  })

  it('GET /admin/v1/apps/{app_id}/conversations/{conversation_id} shows the messages, oldest first; another app\'s conversation is not found', async () => {
    await server.admin('POST', `/admin/v1/apps/${shop.appId}/conversations/${ids.alice}/messages`, { body: 'Hi Alice' })
    const res = await server.admin('GET', `/admin/v1/apps/${shop.appId}/conversations/${ids.alice}`)
    expect(res.status).toBe(200)
    expect(res.body.conversation).toMatchObject({ id: ids.alice, app_id: shop.appId, verified: true })
    expect(res.body.messages.map((m: any) => [m.author, m.body])).toEqual([['user', 'Hello from the shop'], ['teammate', 'Hi Alice']])
    const elsewhere = await server.admin('GET', `/admin/v1/apps/${shop.appId}/conversations/${ids.visitor}`)
    expect([elsewhere.status, elsewhere.body.error.code]).toEqual([404, 'not_found'])
    const noApp = await server.admin('GET', `/admin/v1/apps/app_00000000000000000000000000/conversations/${ids.alice}`)
    expect(noApp.status).toBe(404)
  })

  it('GET /admin/v1/apps/{app_id}/failures?diagnosis= lists only failures with that diagnosis', async () => {
    const auth = (body: object) => server.request('POST', '/v1/messenger/auth', { body: { app_id: shop.appId, platform: 'web', ...body } })
    await auth({ user_id: 'u1', user_hash: '0'.repeat(64) })
    await auth({ user_id: 'u2', user_hash: shop.secrets.web })
    await within(5_000, 'both failures are written', async () => (await server.admin('GET', `/admin/v1/apps/${shop.appId}/failures`)).body.failures.length === 2)
    const leaked = await server.admin('GET', `/admin/v1/apps/${shop.appId}/failures?diagnosis=secret_sent_by_client`)
    expect(leaked.body.failures.map((f: any) => f.user_id)).toEqual(['u2'])
    const unknown = await server.admin('GET', `/admin/v1/apps/${shop.appId}/failures?diagnosis=not_a_diagnosis`)
    expect([unknown.status, unknown.body.error.code]).toEqual([400, 'invalid_request'])
  })
})
