import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BACKENDS, startBackendServer } from './support/backends.js'
import { verifiedSession, type MessengerSession } from './support/messenger-sessions.js'
import type { TestServer } from './support/test-server.js'
import { errorLines } from './support/log-lines.js'

/**
 * Control characters in a path parameter, a query or a JSON body are refused with 400
 * invalid_request before any storage call (docs/api.md, Conventions). PostgreSQL refuses NUL in
 * text: these reached it and answered 500, or were accepted and broke the statistics flush.
 */
for (const backend of BACKENDS) {
  describe(`control characters in requests (${backend})`, () => {
    let server: TestServer
    let app: Awaited<ReturnType<TestServer['createApp']>>
    let alice: MessengerSession
    let conversationId: string
    const logLines: string[] = []

    beforeAll(async () => {
      server = await startBackendServer(backend, {}, { logLines })
      app = await server.createApp('Control characters')
      alice = await verifiedSession(server, app.appId, app.secrets.web, { userId: 'cc-alice' })
      const started = await server.request('POST', '/v1/messenger/conversations', { token: alice.token, body: { body: 'hello' } })
      conversationId = started.body.conversation.id
    })
    afterAll(async () => {
      await server?.close()
    })

    const expectRefused = (res: { status: number; body: any }, named: RegExp) => {
      expect([res.status, res.body.error.code]).toEqual([400, 'invalid_request'])
      expect(res.body.error.message).toMatch(named)
    }

    it('refuses them in path parameters', async () => {
      expectRefused(await server.admin('GET', '/admin/v1/apps/%00/failures'), /"app_id" must not contain control characters/)
      expectRefused(await server.admin('GET', `/admin/v1/apps/${app.appId}%00`), /"app_id"/)
      expectRefused(await server.admin('GET', `/admin/v1/apps/${app.appId}/platforms/web%0A/rollout`), /"platform"/)
      expectRefused(await server.request('GET', '/v1/messenger/conversations/%00', { token: alice.token }), /"conversation_id"/)
      expectRefused(await server.request('POST', `/v1/messenger/conversations/${conversationId}%7F/messages`, { token: alice.token, body: { body: 'hi' } }), /"conversation_id"/)
    })

    it('refuses them in query names and values, on routes with or without a query', async () => {
      expectRefused(await server.admin('GET', '/admin/v1/audit-log?app_id=%00'), /"app_id"/)
      expectRefused(await server.admin('GET', '/admin/v1/audit-log?cursor=a%00b'), /"cursor"/)
      expectRefused(await server.admin('GET', `/admin/v1/apps/${app.appId}/conversations?cursor=%C2%85`), /"cursor"/)
      expectRefused(await server.request('GET', '/v1/messenger/me?x%00=1', { token: alice.token }), /A query parameter name/)
    })

    it('refuses them in any JSON string or field name of a body, at any depth', async () => {
      const auth = await server.request('POST', '/v1/messenger/auth', { body: { app_id: app.appId, platform: 'web', user_id: 'cc-bob', app_version: '1.0\u0000' } })
      expectRefused(auth, /"app_version"/)
      expectRefused(await server.request('PATCH', '/v1/messenger/me', { token: alice.token, body: '{"attributes":{"a\\u0000":"x"}}' }), /A field name in "attributes"/)
      expectRefused(await server.request('PATCH', '/v1/messenger/me', { token: alice.token, body: { attributes: { nick: 'a\u001bb' } } }), /"attributes.nick"/)
      expectRefused(await server.admin('POST', '/admin/v1/apps', { name: 'x', environment: 'test', extra: [[{ deep: '\u0000' }]] }), /"extra.0.0.deep"/)
      expectRefused(await server.admin('POST', '/admin/v1/apps', '"\\u0000"'), /The body/)
    })

    it('keeps tabs and line breaks in message text, and answers a body nested thousands deep with 400', async () => {
      const res = await server.request('POST', '/v1/messenger/conversations', { token: alice.token, body: { body: 'line one\r\n\tline two' } })
      expect(res.status).toBe(201)
      const deep = '['.repeat(30_000) + ']'.repeat(30_000)
      const nested = await server.admin('POST', '/admin/v1/apps', deep)
      expect([nested.status, nested.body.error.code]).toEqual([400, 'invalid_request'])
    })

    it('lets nothing reach the statistics that the database would refuse', async () => {
      const auth = await server.request('POST', '/v1/messenger/auth', { body: { app_id: app.appId, platform: 'ios', user_id: 'cc-carol', sdk_version: '2\u0000' } })
      expectRefused(auth, /"sdk_version"/)
      await server.running.events.flush()
      expect(errorLines(logLines)).toEqual([])
    })
  })
}
