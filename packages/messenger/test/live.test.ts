// onMessage against a real Verity: teammates' replies arrive live; the stream survives a cut
// connection and a server restart (resuming with Last-Event-ID, each message once), renews an
// expired token, follows the session, and closes on logout.
import { rmSync } from 'node:fs'
import { createServer, connect, type Server, type Socket } from 'node:net'

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'

import { createMessenger, type Message } from '../src/index.js'
import { eventually, hmacHex, recordingFetch, BACKENDS, startBackendServer, startOnSameData, type TestServer } from './support.js'

describe.each(BACKENDS)('messenger SDK live messages (%s)', (backend) => {
  let server: TestServer

  beforeAll(async () => {
    server = await startBackendServer(backend)
  })
  afterAll(async () => {
    await server?.close()
  })

  /**
   * A TCP proxy in front of the server, standing for the network: `cut()` drops every connection
   * at once (a Wi-Fi switch), and `target` may move to a restarted server.
   */
  async function startProxy(targetPort: number): Promise<{ url: string; target: number; cut(): void; close(): Promise<void> }> {
    const sockets = new Set<Socket>()
    const proxy = {
      url: '',
      target: targetPort,
      cut: () => {
        for (const socket of sockets) socket.destroy()
        sockets.clear()
      },
      close: () => new Promise<void>((resolve) => (proxy.cut(), tcp.close(() => resolve()))),
    }
    const tcp: Server = createServer((client) => {
      const upstream = connect(proxy.target, '127.0.0.1')
      for (const socket of [client, upstream]) {
        sockets.add(socket)
        socket.on('error', () => {})
        socket.on('close', () => (client.destroy(), upstream.destroy()))
      }
      client.pipe(upstream).pipe(client)
    })
    await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve))
    const address = tcp.address()
    proxy.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
    return proxy
  }

  async function setup(target: TestServer = server) {
    const { appId, secrets } = await target.createApp()
    const teammateReply = async (conversationId: string, body: string, via: TestServer = target): Promise<Message & { created_at: string }> => {
      const res = await via.admin('POST', `/admin/v1/apps/${appId}/conversations/${conversationId}/messages`, { body })
      expect(res.status).toBe(201)
      return res.body.message
    }
    return { appId, secrets, teammateReply }
  }

  /** Every message a listener receives, with its conversation. */
  function collector() {
    const received: { id: string; body: string; author: string; conversationId: string }[] = []
    const listener = (message: Message, conversationId: string) => received.push({ id: message.id, body: message.body, author: message.author, conversationId })
    return { received, listener, bodies: () => received.map((r) => r.body) }
  }

  const streams = (target: TestServer = server) => target.running.eventStreams.size

  describe('onMessage', () => {
    it('delivers a teammate’s reply live, with the message in camelCase and its conversation id', async () => {
      const { appId, secrets, teammateReply } = await setup()
      const messenger = createMessenger({ baseUrl: server.url, appId, platform: 'web' })
      await messenger.login({ userId: 'ada', userHash: hmacHex(secrets.web, 'ada') })
      const conversation = await messenger.conversations.create('Hello?')
      const messages: [Message, string][] = []
      const stop = messenger.onMessage((message, conversationId) => messages.push([message, conversationId]))
      await eventually(() => expect(streams()).toBe(1))

      const reply = await teammateReply(conversation.id, 'Hi Ada, how can I help?')
      await eventually(() => expect(messages).toHaveLength(1))
      expect(messages[0]).toEqual([{ id: reply.id, author: 'teammate', body: 'Hi Ada, how can I help?', createdAt: reply.created_at }, conversation.id])

      // The user's own message, sent from another device, arrives too.
      const otherDevice = createMessenger({ baseUrl: server.url, appId, platform: 'web' })
      await otherDevice.login({ userId: 'ada', userHash: hmacHex(secrets.web, 'ada') })
      await otherDevice.conversations.reply(conversation.id, 'from my phone')
      await eventually(() => expect(messages.map(([m]) => m.body)).toEqual(['Hi Ada, how can I help?', 'from my phone']))

      stop()
      await eventually(() => expect(streams()).toBe(0))
      await teammateReply(conversation.id, 'after stop')
      await new Promise((resolve) => setTimeout(resolve, 200))
      expect(messages).toHaveLength(2)
    })

    it('shares one connection between listeners, and a throwing listener does not stop the others', async () => {
      const { appId, secrets, teammateReply } = await setup()
      const messenger = createMessenger({ baseUrl: server.url, appId, platform: 'web' })
      await messenger.login({ userId: 'ada', userHash: hmacHex(secrets.web, 'ada') })
      const conversation = await messenger.conversations.create('Hello?')
      const a = collector()
      const b = collector()
      const uncaught: unknown[] = []
      const onUncaught = (error: unknown) => uncaught.push(error)
      process.on('uncaughtException', onUncaught)
      try {
        const stopThrowing = messenger.onMessage(() => {
          throw new Error('app bug')
        })
        const stopA = messenger.onMessage(a.listener)
        const stopB = messenger.onMessage(b.listener)
        await eventually(() => expect(streams()).toBe(1))
        await teammateReply(conversation.id, 'one')
        await eventually(() => expect(b.bodies()).toEqual(['one']))
        expect(a.bodies()).toEqual(['one'])
        await eventually(() => expect(uncaught).toHaveLength(1))
        stopA()
        stopThrowing()
        await teammateReply(conversation.id, 'two')
        await eventually(() => expect(b.bodies()).toEqual(['one', 'two']))
        expect(a.bodies()).toEqual(['one'])
        expect(streams()).toBe(1)
        stopB()
        await eventually(() => expect(streams()).toBe(0))
      } finally {
        process.off('uncaughtException', onUncaught)
      }
    })

    it('starts listening before login, and follows the session when setUserHash upgrades it', async () => {
      const { appId, secrets, teammateReply } = await setup()
      const phone = createMessenger({ baseUrl: server.url, appId, platform: 'web' })
      await phone.login({ userId: 'ada', userHash: hmacHex(secrets.web, 'ada') })
      const verifiedConversation = await phone.conversations.create('verified')

      const laptop = createMessenger({ baseUrl: server.url, appId, platform: 'web' })
      const seen = collector()
      laptop.onMessage(seen.listener)
      await laptop.registerIdentifiedUser({ userId: 'ada' }) // unverified: its own device space
      const unverifiedConversation = await laptop.conversations.create('unverified')
      await eventually(() => expect(seen.bodies()).toEqual(['unverified']))
      await teammateReply(verifiedConversation.id, 'not for an unverified session')
      await teammateReply(unverifiedConversation.id, 'to the device')
      await eventually(() => expect(seen.bodies()).toEqual(['unverified', 'to the device']))

      await laptop.setUserHash(hmacHex(secrets.web, 'ada'))
      await eventually(() => expect(streams()).toBe(1))
      await teammateReply(verifiedConversation.id, 'now verified')
      await eventually(() => expect(seen.bodies()).toEqual(['unverified', 'to the device', 'now verified']))
      expect(seen.received.at(-1)!.conversationId).toBe(verifiedConversation.id)
      await laptop.logout()
    })

    it('reconnects after the connection is cut, resuming with Last-Event-ID: each message once', async () => {
      const { appId, secrets, teammateReply } = await setup()
      const proxy = await startProxy(server.running.port)
      const recorder = recordingFetch()
      try {
        const messenger = createMessenger({ baseUrl: proxy.url, appId, platform: 'web', fetch: recorder.fetch })
        await messenger.login({ userId: 'ada', userHash: hmacHex(secrets.web, 'ada') })
        const conversation = await messenger.conversations.create('Hello?')
        const seen = collector()
        messenger.onMessage(seen.listener)
        await eventually(() => expect(streams()).toBe(1))
        const first = await teammateReply(conversation.id, 'before the cut')
        await eventually(() => expect(seen.bodies()).toEqual(['before the cut']))

        proxy.cut()
        await eventually(() => expect(streams()).toBe(0))
        await teammateReply(conversation.id, 'while disconnected')
        await eventually(() => expect(seen.bodies()).toEqual(['before the cut', 'while disconnected']), 10_000)
        await teammateReply(conversation.id, 'after reconnecting')
        await eventually(() => expect(seen.bodies()).toEqual(['before the cut', 'while disconnected', 'after reconnecting']))

        const connects = recorder.calls.filter((c) => c.path === '/v1/messenger/events')
        expect(connects).toHaveLength(2)
        expect(connects[0]!.headers).not.toHaveProperty('last-event-id')
        expect(connects[1]!.headers['last-event-id']).toBe(first.id)
        await messenger.logout()
      } finally {
        await proxy.close()
      }
    })

    it('reconnects to a restarted server on the same data, and gets the replies written while it was down', async () => {
      const own = await startBackendServer(backend)
      let restarted: TestServer | undefined
      const proxy = await startProxy(own.running.port)
      try {
        const { appId, secrets, teammateReply } = await setup(own)
        const messenger = createMessenger({ baseUrl: proxy.url, appId, platform: 'web' })
        await messenger.login({ userId: 'ada', userHash: hmacHex(secrets.web, 'ada') })
        const conversation = await messenger.conversations.create('Hello?')
        const seen = collector()
        messenger.onMessage(seen.listener)
        await eventually(() => expect(streams(own)).toBe(1))
        await teammateReply(conversation.id, 'before the restart')
        await eventually(() => expect(seen.bodies()).toEqual(['before the restart']))

        await own.close({ keepData: true })
        restarted = await startOnSameData(own)
        proxy.target = restarted.running.port
        // Written before the messenger is back: it comes with the replay after Last-Event-ID.
        await teammateReply(conversation.id, 'written while the messenger reconnects', restarted)
        await eventually(() => expect(seen.bodies()).toEqual(['before the restart', 'written while the messenger reconnects']), 15_000)
        await teammateReply(conversation.id, 'live again', restarted)
        await eventually(() => expect(seen.bodies()).toEqual(['before the restart', 'written while the messenger reconnects', 'live again']))
        await messenger.logout()
      } finally {
        await proxy.close()
        await restarted?.close()
        rmSync(own.dataDir, { recursive: true, force: true })
      }
    })

    it('renews an expired access token to connect', async () => {
      const { appId, secrets, teammateReply } = await setup()
      const recorder = recordingFetch()
      const messenger = createMessenger({ baseUrl: server.url, appId, platform: 'web', fetch: recorder.fetch })
      await messenger.login({ userId: 'ada', userHash: hmacHex(secrets.web, 'ada') })
      const conversation = await messenger.conversations.create('Hello?')
      vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true })
      try {
        vi.setSystemTime(Date.now() + (server.config.tokenTtlSeconds + 5) * 1000)
        await server.running.cache.refresh()
        const seen = collector()
        messenger.onMessage(seen.listener)
        await eventually(() => expect(streams()).toBe(1))
        await teammateReply(conversation.id, 'after renewal')
        await eventually(() => expect(seen.bodies()).toEqual(['after renewal']))
        const trail = recorder.calls.slice(-3).map((c) => `${c.method} ${c.path} ${c.status}`)
        expect(trail).toEqual(['GET /v1/messenger/events 401', 'POST /v1/messenger/auth 200', 'GET /v1/messenger/events 200'])
        await messenger.logout()
      } finally {
        vi.useRealTimers()
      }
    })

    it('closes the stream on logout, and nothing of the previous user reaches the next one', async () => {
      const { appId, secrets, teammateReply } = await setup()
      const messenger = createMessenger({ baseUrl: server.url, appId, platform: 'web' })
      await messenger.login({ userId: 'ada', userHash: hmacHex(secrets.web, 'ada') })
      const adaConversation = await messenger.conversations.create('Ada here')
      const seen = collector()
      messenger.onMessage(seen.listener)
      await eventually(() => expect(streams()).toBe(1))
      await teammateReply(adaConversation.id, 'for Ada')
      await eventually(() => expect(seen.bodies()).toEqual(['for Ada']))

      await messenger.logout()
      expect(streams()).toBeLessThanOrEqual(1)
      await eventually(() => expect(streams()).toBe(0))
      await teammateReply(adaConversation.id, 'for Ada, after her logout')

      // The next user on this device: the listener stays, the stream reopens for them alone, and
      // starts afresh (no Last-Event-ID from Ada's stream, so no replay of hers).
      await messenger.login({ userId: 'bob', userHash: hmacHex(secrets.web, 'bob') })
      const bobConversation = await messenger.conversations.create('Bob here')
      await eventually(() => expect(seen.bodies()).toEqual(['for Ada', 'Bob here']))
      await teammateReply(bobConversation.id, 'for Bob')
      await teammateReply(adaConversation.id, 'for Ada again')
      await eventually(() => expect(seen.bodies()).toEqual(['for Ada', 'Bob here', 'for Bob']))
      await new Promise((resolve) => setTimeout(resolve, 200))
      expect(seen.bodies()).toEqual(['for Ada', 'Bob here', 'for Bob'])
      await messenger.logout()
      await eventually(() => expect(streams()).toBe(0))
    })
  })
})
