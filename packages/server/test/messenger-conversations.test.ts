import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { anonymousSession, verifiedSession, type MessengerSession } from './support/messenger-sessions.js'
import type { TestServer } from './support/test-server.js'
import { BACKENDS, startBackendServer } from './support/backends.js'

describe.each(BACKENDS)('messenger conversations (%s)', (backend) => {
  let server: TestServer
  let appId: string
  let alice: MessengerSession
  const logLines: string[] = []

  beforeAll(async () => {
    server = await startBackendServer(backend, {}, { logLines })
    const app = await server.createApp()
    appId = app.appId
    alice = await verifiedSession(server, appId, app.secrets.web, { userId: 'alice' })
  })
  afterAll(() => server.close())

  const start = (token: string, body: unknown) => server.request('POST', '/v1/messenger/conversations', { token, body })
  const list = (token: string, query = '') => server.request('GET', `/v1/messenger/conversations${query}`, { token })
  const countAll = async (): Promise<{ conversations: number; messages: number }> => {
    const db = server.running.data.db
    const c = await db.selectFrom('conversations').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
    const m = await db.selectFrom('messages').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
    return { conversations: Number(c.n), messages: Number(m.n) }
  }

  describe('conversations and messages', () => {
    it('starts a conversation with its first message, then reads and replies', async () => {
      const created = await start(alice.token, { body: 'Hello, I need help' })
      expect(created.status).toBe(201)
      const conversation = created.body.conversation
      expect(conversation).toMatchObject({ verified: true, messages: [{ author: 'user', body: 'Hello, I need help' }] })
      expect(conversation.id).toMatch(/^conv_/)
      expect(Date.parse(conversation.created_at)).not.toBeNaN()
      expect(conversation.created_at).toMatch(/Z$/)

      const reply = await server.request('POST', `/v1/messenger/conversations/${conversation.id}/messages`, { token: alice.token, body: { body: 'More detail' } })
      expect(reply.status).toBe(201)
      expect(Object.keys(reply.body.message).sort()).toEqual(['author', 'body', 'created_at', 'id'])
      expect(reply.body.message).toMatchObject({ author: 'user', body: 'More detail' })

      const read = await server.request('GET', `/v1/messenger/conversations/${conversation.id}`, { token: alice.token })
      expect(read.status).toBe(200)
      expect(read.body.conversation.messages.map((m: any) => m.body)).toEqual(['Hello, I need help', 'More detail'])
      expect(read.body.conversation.last_message_at).toBe(reply.body.message.created_at)

      const listed = await list(alice.token)
      expect(listed.status).toBe(200)
      const item = listed.body.conversations.find((c: any) => c.id === conversation.id)
      expect(item).toMatchObject({ verified: true, last_message: { body: 'More detail', author: 'user' } })
    })

    it('keeps bodies exactly as sent, unicode and line breaks included', async () => {
      const body = '  Grüße 😀\nline two\t'
      const created = await start(alice.token, { body })
      expect(created.status).toBe(201)
      expect(created.body.conversation.messages[0].body).toBe(body)
    })

    it('lists newest first with cursor pagination', async () => {
      const visitor = await anonymousSession(server, appId)
      const ids: string[] = []
      for (let i = 0; i < 5; i++) ids.push((await start(visitor.token, { body: `n${i}` })).body.conversation.id)
      const seen: string[] = []
      let cursor: string | null = null
      let pages = 0
      do {
        const res = await list(visitor.token, `?limit=2${cursor ? `&cursor=${cursor}` : ''}`)
        expect(res.status).toBe(200)
        seen.push(...res.body.conversations.map((c: any) => c.id))
        cursor = res.body.next_cursor
        pages++
      } while (cursor !== null && pages < 10)
      expect(seen).toEqual([...ids].reverse())
      expect(pages).toBe(3)
    })

    it('refuses bad list parameters with 400 invalid_request', async () => {
      for (const query of ['?limit=0', '?limit=abc', '?cursor=nonsense', '?page=2']) {
        const res = await list(alice.token, query)
        expect([query, res.status, res.body.error.code]).toEqual([query, 400, 'invalid_request'])
      }
      const capped = await list(alice.token, '?limit=1000')
      expect(capped.status).toBe(200)
    })

    it('refuses a blank, missing, mistyped or too long body, and writes nothing', async () => {
      const existing = (await start(alice.token, { body: 'x' })).body.conversation.id
      const before = await countAll()
      const bad: unknown[] = [
        {},
        { body: '' },
        { body: '   \n\t ' },
        { body: 42 },
        { body: null },
        { body: 'x'.repeat(10_001) },
        { body: 'ok', extra: 1 },
        { text: 'typo' },
        { body: 'nul\u0000byte' },
        [],
        'just a string',
      ]
      for (const body of bad) {
        for (const path of ['/v1/messenger/conversations', `/v1/messenger/conversations/${existing}/messages`]) {
          const res = await server.request('POST', path, { token: alice.token, body })
          expect([JSON.stringify(body).slice(0, 40), path, res.status, res.body.error?.code]).toEqual([JSON.stringify(body).slice(0, 40), path, 400, 'invalid_request'])
        }
      }
      expect(await countAll()).toEqual(before)
    })

    it('accepts exactly 10,000 characters', async () => {
      const res = await start(alice.token, { body: 'y'.repeat(10_000) })
      expect(res.status).toBe(201)
    })

    it('answers 413 for a body over 16 KiB, 415 for a body that is not JSON, 400 for broken JSON, and writes nothing', async () => {
      const before = await countAll()
      const huge = await start(alice.token, { body: 'z'.repeat(17 * 1024) })
      expect([huge.status, huge.body.error.code]).toEqual([413, 'payload_too_large'])
      const text = await server.request('POST', '/v1/messenger/conversations', { token: alice.token, body: 'body=hi', headers: { 'content-type': 'text/plain' } })
      expect([text.status, text.body.error.code]).toEqual([415, 'unsupported_media_type'])
      const broken = await server.request('POST', '/v1/messenger/conversations', { token: alice.token, body: '{"body": "hi"' })
      expect([broken.status, broken.body.error.code]).toEqual([400, 'invalid_request'])
      expect(await countAll()).toEqual(before)
    })
     it('answers 400 invalid_request for an id with a control character (NUL cannot be stored), before any lookup', async () => {
       for (const id of ['%00', 'conv_%00', '%0A']) {
         const read = await server.request('GET', `/v1/messenger/conversations/${id}`, { token: alice.token })
         expect([id, read.status, read.body.error.code]).toEqual([id, 400, 'invalid_request'])
         const post = await server.request('POST', `/v1/messenger/conversations/${id}/messages`, { token: alice.token, body: { body: 'hi' } })
         expect([id, post.status, post.body.error.code]).toEqual([id, 400, 'invalid_request'])
       }
     })


    it('answers 404 not_found for ids that are not conversations, never 500', async () => {
      for (const id of ['nope', 'conv_' + '0'.repeat(26), 'conv_%F0%9F%98%80', 'x'.repeat(500)]) {
        const read = await server.request('GET', `/v1/messenger/conversations/${id}`, { token: alice.token })
        expect([id, read.status, read.body.error.code]).toEqual([id, 404, 'not_found'])
        const post = await server.request('POST', `/v1/messenger/conversations/${id}/messages`, { token: alice.token, body: { body: 'hi' } })
        expect([id, post.status, post.body.error.code]).toEqual([id, 404, 'not_found'])
      }
    })

    it('never logs message bodies or tokens', async () => {
      const secretText = 'my-private-message-7f3a9c'
      await start(alice.token, { body: secretText })
      await start(alice.token, { body: '' })
      const logs = logLines.join('\n')
      expect(logs.length).toBeGreaterThan(0)
      expect(logs).not.toContain(secretText)
      expect(logs).not.toContain(alice.token)
    })

    it('describes every messenger conversation route in the OpenAPI document', async () => {
      const doc = (await server.request('GET', '/openapi.json')).body
      expect(Object.keys(doc.paths['/v1/messenger/conversations'])).toEqual(expect.arrayContaining(['get', 'post']))
      expect(doc.paths['/v1/messenger/conversations/{conversation_id}'].get).toBeDefined()
      expect(doc.paths['/v1/messenger/conversations/{conversation_id}/messages'].post).toBeDefined()
      expect(doc.paths['/v1/messenger/events'].get).toBeDefined()
      expect(Object.keys(doc.paths['/v1/messenger/me'])).toEqual(expect.arrayContaining(['get', 'patch']))
      expect(doc.paths['/admin/v1/apps/{app_id}/conversations'].get).toBeDefined()
      expect(doc.paths['/admin/v1/apps/{app_id}/conversations/{conversation_id}/messages'].post).toBeDefined()
    })
  })
})
