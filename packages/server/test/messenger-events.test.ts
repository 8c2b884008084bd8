import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { anonymousSession, verifiedSession, type MessengerSession } from './support/messenger-sessions.js'
import { openEventStream } from './support/sse-client.js'
import type { TestServer } from './support/test-server.js'
import { BACKENDS, startBackendServer, startOnSameData } from './support/backends.js'

describe.each(BACKENDS)('messenger events (%s)', (backend) => {
  let server: TestServer
  let app: Awaited<ReturnType<TestServer['createApp']>>
  let alice: MessengerSession
  let conversationId: string

  beforeAll(async () => {
    server = await startBackendServer(backend)
    app = await server.createApp('Live')
    alice = await verifiedSession(server, app.appId, app.secrets.web, { userId: 'live-alice' })
    const res = await server.request('POST', '/v1/messenger/conversations', { token: alice.token, body: { body: 'Is anyone there?' } })
    conversationId = res.body.conversation.id
  })
  afterAll(() => server.close())

  const teammateReply = async (target: TestServer, body: string, id = conversationId) => {
    const res = await target.admin('POST', `/admin/v1/apps/${app.appId}/conversations/${id}/messages`, { body })
    expect(res.status).toBe(201)
    return res.body.message as { id: string; author: string; body: string; created_at: string }
  }

  async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (!condition()) {
      if (Date.now() > deadline) throw new Error('condition not met in time')
      await new Promise((r) => setTimeout(r, 20))
    }
  }

  describe('GET /v1/messenger/events', () => {
    it("holds the stream open and delivers a teammate's reply", async () => {
      const stream = await openEventStream(server.url, { token: alice.token })
      try {
        expect(stream.status).toBe(200)
        expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/)
        expect(stream.headers.get('cache-control')).toBe('no-store')
        const reply = await teammateReply(server, 'Hi Alice, a teammate here.')
        const event = await stream.next((e) => e.id === reply.id)
        expect(event.event).toBe('message')
        expect(JSON.parse(event.data)).toEqual({ conversation_id: conversationId, message: reply })
        expect(reply.author).toBe('teammate')
        // The user's own messages, from another session of theirs, arrive too.
        const other = await verifiedSession(server, app.appId, app.secrets.android, { userId: 'live-alice' }, 'android')
        const own = await server.request('POST', `/v1/messenger/conversations/${conversationId}/messages`, { token: other.token, body: { body: 'From my phone' } })
        const ownEvent = await stream.next((e) => e.id === own.body.message.id)
        expect(JSON.parse(ownEvent.data).message.author).toBe('user')
      } finally {
        stream.close()
      }
    })

    it('delivers the first message of a conversation started elsewhere by the same user', async () => {
      const stream = await openEventStream(server.url, { token: alice.token })
      try {
        const res = await server.request('POST', '/v1/messenger/conversations', { token: alice.token, body: { body: 'A new topic' } })
        const first = res.body.conversation.messages[0]
        const event = await stream.next((e) => e.id === first.id)
        expect(JSON.parse(event.data).conversation_id).toBe(res.body.conversation.id)
      } finally {
        stream.close()
      }
    })

    it('replays what was missed after Last-Event-ID, in order, and nothing before it', async () => {
      const stream = await openEventStream(server.url, { token: alice.token })
      const seen = await teammateReply(server, 'seen before the drop')
      await stream.next((e) => e.id === seen.id)
      stream.close()

      const missed = [await teammateReply(server, 'missed one'), await teammateReply(server, 'missed two')]
      // Someone else's message in the meantime must not be replayed.
      const visitor = await anonymousSession(server, app.appId)
      await server.request('POST', '/v1/messenger/conversations', { token: visitor.token, body: { body: 'not for alice' } })

      for (const how of ['header', 'query'] as const) {
        const again = await openEventStream(server.url, {
          token: alice.token,
          ...(how === 'header' ? { lastEventId: seen.id } : { query: `?last_event_id=${seen.id}` }),
        })
        try {
          await again.next((e) => e.id === missed[1]!.id)
          const live = await teammateReply(server, `live after replay (${how})`)
          await again.next((e) => e.id === live.id)
          const ids = again.events.map((e) => e.id)
          expect(ids.slice(0, 2)).toEqual(missed.map((m) => m.id))
          expect(ids).not.toContain(seen.id)
          expect(new Set(ids).size).toBe(ids.length)
          for (const e of again.events) expect(JSON.parse(e.data).message.body).not.toBe('not for alice')
        } finally {
          again.close()
        }
      }
    })

    it('gives a fresh stream a resume point, so a drop before its first message loses nothing', async () => {
      const controller = new AbortController()
      const res = await fetch(`${server.url}/v1/messenger/events`, { headers: { authorization: `Bearer ${alice.token}` }, signal: controller.signal })
      const reader = res.body!.getReader()
      let opening = ''
      while (!opening.includes('\n\n')) opening += new TextDecoder().decode((await reader.read()).value)
      const resumeFrom = /^id: (\S+)$/m.exec(opening)?.[1]
      controller.abort()
      expect(resumeFrom).toMatch(/^msg_/)
      // Written while the client is away, then picked up on reconnect.
      const missed = await teammateReply(server, 'Sent while you were reconnecting')
      const again = await openEventStream(server.url, { token: alice.token, lastEventId: resumeFrom! })
      try {
        expect(again.status).toBe(200)
        const event = await again.next((e) => e.id === missed.id)
        expect(JSON.parse(event.data).message.body).toBe('Sent while you were reconnecting')
      } finally {
        again.close()
      }
    })

    it('refuses a Last-Event-ID that is not an event id with 400 invalid_request', async () => {
      for (const options of [{ lastEventId: 'garbage' }, { query: '?last_event_id=conv_00000000000000000000000000' }, { query: '?since=1' }]) {
        const stream = await openEventStream(server.url, { token: alice.token, ...options })
        expect([stream.status, stream.error.error.code]).toEqual([400, 'invalid_request'])
      }
    })

    it('forgets a stream when its client goes away', async () => {
      const before = server.running.eventStreams.size
      const stream = await openEventStream(server.url, { token: alice.token })
      await until(() => server.running.eventStreams.size === before + 1)
      stream.close()
      await until(() => server.running.eventStreams.size === before)
    })

    it('reaches a stream held by another process on the same data within 2 s', async () => {
      const second = await startOnSameData(server)
      try {
        const stream = await openEventStream(second.url, { token: alice.token })
        try {
          expect(stream.status).toBe(200)
          const reply = await teammateReply(server, 'written by the first process')
          const event = await stream.next((e) => e.id === reply.id, 2_000)
          expect(JSON.parse(event.data).message.body).toBe('written by the first process')
        } finally {
          stream.close()
        }
      } finally {
        await second.close()
      }
    })

    it('ends open streams when the server shuts down', async () => {
      const own = await startBackendServer(backend)
      const ownApp = await own.createApp()
      const visitor = await anonymousSession(own, ownApp.appId)
      const stream = await openEventStream(own.url, { token: visitor.token })
      expect(stream.status).toBe(200)
      await own.close()
      await stream.ended
      expect(own.running.eventStreams.size).toBe(0)
    })
  })
})
