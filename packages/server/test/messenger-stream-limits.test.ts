import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BACKENDS, SHARED_MASTER_KEY, startBackendServer } from './support/backends.js'
import { anonymousSession, unverifiedSession, verifiedSession, type MessengerSession } from './support/messenger-sessions.js'
import { openEventStream, type EventStreamClient } from './support/sse-client.js'
import { openStalledStream, type StalledStream } from './support/stalled-stream.js'
import { startTestServer, type TestServer } from './support/test-server.js'

/**
 * Issue 10, live streams: what one client can make GET /v1/messenger/events hold (API.md, "Abuse
 * limits"). Clients are told apart by X-Forwarded-For, as behind a trusted proxy.
 */

const KIB = 1024
const QUEUE_BOUND = 256 * KIB
const PER_CLIENT = 8

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not in time: ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

/** Resolves true when `promise` settles within `ms`, false otherwise. */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)))
  try {
    return await Promise.race([promise.then(() => true), timeout])
  } finally {
    clearTimeout(timer)
  }
}

describe.each(BACKENDS)('live stream limits (%s)', (backend) => {
  let server: TestServer
  let app: Awaited<ReturnType<TestServer['createApp']>>
  let nextAddress = 1
  /** A client address of its own for each test, so their counts never meet. */
  const freshClient = () => ({ 'x-forwarded-for': `203.0.113.${nextAddress++}` })
  const open: StalledStream[] = []
  const stalled = async (token: string, headers: Record<string, string>) => {
    const stream = await openStalledStream(server.url, token, headers)
    open.push(stream)
    return stream
  }

  const startConversation = async (session: MessengerSession) => {
    const res = await server.request('POST', '/v1/messenger/conversations', { token: session.token, body: { body: 'Hello?' } })
    expect(res.status).toBe(201)
    return res.body.conversation.id as string
  }
  const teammateReply = async (conversationId: string, body: string, appId = app.appId) => {
    const res = await server.admin('POST', `/admin/v1/apps/${appId}/conversations/${conversationId}/messages`, { body })
    expect(res.status).toBe(201)
    return res.body.message.id as string
  }

  beforeAll(async () => {
    server = await startBackendServer(backend, { VERITY_TRUSTED_PROXIES: '127.0.0.1,::1', VERITY_STREAMS_PER_CLIENT: String(PER_CLIENT) })
    app = await server.createApp('Streams')
  })
  afterAll(async () => {
    for (const stream of open) stream.close()
    await server?.close()
  })

  it('lets one access token hold 5 streams; the sixth gets 429 rate_limited, and a closed one frees its place', async () => {
    const client = freshClient()
    const visitor = await anonymousSession(server, app.appId)
    const five = await Promise.all(Array.from({ length: 5 }, () => stalled(visitor.token, client)))
    expect(five.map((s) => s.status)).toEqual([200, 200, 200, 200, 200])

    const sixth = await stalled(visitor.token, client)
    expect([sixth.status, sixth.error.error.code]).toEqual([429, 'rate_limited'])
    expect(Number(sixth.headers['retry-after'])).toBeGreaterThan(0)

    // Per token: another token of the same client still opens one.
    const other = await anonymousSession(server, app.appId)
    expect((await stalled(other.token, client)).status).toBe(200)

    const before = server.running.eventStreams.size
    five[0]!.close()
    await until(() => server.running.eventStreams.size === before - 1, 'the closed stream is forgotten')
    expect((await stalled(visitor.token, client)).status).toBe(200)
  })

  it(`lets one client address hold ${PER_CLIENT} streams whatever its tokens; other clients and apps are unaffected`, async () => {
    const client = freshClient()
    const statuses: number[] = []
    for (let i = 0; i < PER_CLIENT / 2; i++) {
      const token = (await anonymousSession(server, app.appId)).token
      for (const _ of [1, 2]) statuses.push((await stalled(token, client)).status)
    }
    expect(statuses).toEqual(Array(PER_CLIENT).fill(200))
    const fresh = await anonymousSession(server, app.appId)
    const refused = await stalled(fresh.token, client)
    expect([refused.status, refused.error.error.code]).toEqual([429, 'rate_limited'])
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0)

    const otherApp = await server.createApp('Another tenant')
    const verified = await verifiedSession(server, otherApp.appId, otherApp.secrets.web, { userId: 'tenant-user' })
    expect((await stalled(verified.token, freshClient())).status).toBe(200)
  })

  it('destroys a stream that does not read once 256 KiB are queued for it, and frees its place only when it is gone', async () => {
    const client = freshClient()
    const visitor = await anonymousSession(server, app.appId)
    const conversationId = await startConversation(visitor)
    const before = server.running.eventStreams.size
    const streams = await Promise.all(Array.from({ length: 5 }, () => stalled(visitor.token, client)))
    expect(streams.map((s) => s.status)).toEqual([200, 200, 200, 200, 200])
    await until(() => server.running.eventStreams.size === before + 5, 'the streams are open')

    // About 30 KB a message (10,000 three-byte characters), far more than the kernel buffers hold.
    const body = '€'.repeat(10_000)
    let most = 0
    for (let i = 0; i < 600 && server.running.eventStreams.size > before; i++) {
      await teammateReply(conversationId, body)
      most = Math.max(most, server.running.eventStreams.queuedBytes)
    }
    await until(() => server.running.eventStreams.size === before, 'every stalled stream is destroyed')
    expect(most).toBeGreaterThan(0)
    expect(most).toBeLessThanOrEqual(5 * QUEUE_BOUND)
    expect(server.running.eventStreams.queuedBytes).toBe(0)
    // Gone, so their places are free again: the same token opens five more.
    const again = await Promise.all(Array.from({ length: 5 }, () => stalled(visitor.token, client)))
    expect(again.map((s) => s.status)).toEqual([200, 200, 200, 200, 200])
  })

  it('replays at most 1,000 messages after Last-Event-ID, within the queue bound, and all of them once the client reads', async () => {
    const client = freshClient()
    const visitor = await anonymousSession(server, app.appId)
    const conversationId = await startConversation(visitor)
    // 10 KB a message: 1,000 of them are 10 MB, which must not be queued at once.
    const body = 'é'.repeat(5_000)
    const ids: string[] = []
    for (let i = 0; i < 1_050; i += 10) ids.push(...(await Promise.all(Array.from({ length: 10 }, () => teammateReply(conversationId, body)))))
    // Ids sort in the order messages are read back; ten written at once may commit in any order.
    ids.sort()

    const before = server.running.eventStreams.queuedBytes
    const replay = await stalled(visitor.token, { ...client, 'last-event-id': ids[0]! })
    expect(replay.status).toBe(200)
    // While the client does not read, the kernel's buffers fill, then the server queues for it,
    // never more than the bound: the replay waits for the client.
    const queued = () => server.running.eventStreams.queuedBytes - before
    await until(() => queued() > 0, 'the kernel buffers are full')
    for (let i = 0; i < 20; i++) {
      expect(queued()).toBeLessThanOrEqual(QUEUE_BOUND)
      await new Promise((r) => setTimeout(r, 25))
    }
    expect((await server.request('GET', '/healthz')).status).toBe(200)

    replay.read()
    await until(() => replay.messageIds().length >= 1_000, 'the replay arrives')
    const live = await teammateReply(conversationId, 'live, after the replay')
    await until(() => replay.messageIds().includes(live), 'the live message arrives')
    expect(replay.messageIds()).toEqual([...ids.slice(1, 1_001), live])
  }, 120_000)

  describe('a stream whose token no longer holds receives nothing more and is closed within 2 s', () => {
    const expectClosedWithoutIt = async (stream: EventStreamClient, messageId: string) => {
      expect(await within(stream.ended, 2_000)).toBe(true)
      expect(stream.events.map((e) => e.id)).not.toContain(messageId)
    }

    it('when the secret that verified it is revoked', async () => {
      const own = await server.createApp('Revocation')
      const alice = await verifiedSession(server, own.appId, own.secrets.web, { userId: 'revoked-alice' })
      const conversationId = await startConversation(alice)
      const stream = await openEventStream(server.url, { token: alice.token })
      try {
        expect(stream.status).toBe(200)
        const seen = await teammateReply(conversationId, 'before the revocation', own.appId)
        await stream.next((e) => e.id === seen)
        expect((await server.admin('POST', `/admin/v1/apps/${own.appId}/platforms/web/secrets`)).status).toBe(201)
        expect((await server.admin('DELETE', `/admin/v1/apps/${own.appId}/platforms/web/secrets/${own.secretIds.web}`)).status).toBe(204)
        await expectClosedWithoutIt(stream, await teammateReply(conversationId, 'after the revocation', own.appId))
      } finally {
        stream.close()
      }
    })

    it('when the secret is revoked through another instance on the same database', async () => {
      const own = await server.createApp('Revocation elsewhere')
      const alice = await verifiedSession(server, own.appId, own.secrets.ios, { userId: 'alice-elsewhere' }, 'ios')
      const conversationId = await startConversation(alice)
      const sameDatabase: Record<string, string> = backend === 'postgres' ? { DATABASE_URL: server.config.databaseUrl!, VERITY_MASTER_KEY: SHARED_MASTER_KEY } : {}
      const second = await startTestServer(sameDatabase, backend === 'sqlite' ? server.dataDir : undefined)
      try {
        const stream = await openEventStream(second.url, { token: alice.token })
        try {
          expect(stream.status).toBe(200)
          expect((await server.admin('POST', `/admin/v1/apps/${own.appId}/platforms/ios/secrets`)).status).toBe(201)
          expect((await server.admin('DELETE', `/admin/v1/apps/${own.appId}/platforms/ios/secrets/${own.secretIds.ios}`)).status).toBe(204)
          await expectClosedWithoutIt(stream, await teammateReply(conversationId, 'after the revocation', own.appId))
        } finally {
          stream.close()
        }
      } finally {
        await second.close()
      }
    })

    it('when the token expires', async () => {
      const visitor = await anonymousSession(server, app.appId)
      const conversationId = await startConversation(visitor)
      // The same session, signed by the server's own key as if issued a lifetime ago less 2 s.
      const keyring = server.running.cache.keyring
      const claims = keyring.verify(visitor.token)
      const shortLived = keyring.sign(claims, Date.now() - (server.config.tokenTtlSeconds - 2) * 1000).token
      const before = server.running.eventStreams.size
      const stream = await openEventStream(server.url, { token: shortLived })
      try {
        expect(stream.status).toBe(200)
        const expiresAt = keyring.verify(shortLived).exp * 1000
        await new Promise((r) => setTimeout(r, Math.max(0, expiresAt - Date.now())))
        const after = await teammateReply(conversationId, 'after the expiry')
        await expectClosedWithoutIt(stream, after)
        // Ended cleanly, the connection kept alive for other requests: its place is free.
        await until(() => server.running.eventStreams.size === before, 'the ended stream gives its place back')
      } finally {
        stream.close()
      }
    })

    it('when its platform is enforced, for an unverified session; every messenger route then answers 401 token_invalid', async () => {
      const own = await server.createApp('Enforcement')
      const claim = await unverifiedSession(server, own.appId, { userId: 'not-proven' })
      const visitor = await anonymousSession(server, own.appId)
      const proven = await verifiedSession(server, own.appId, own.secrets.web, { userId: 'proven' })
      expect(claim.user.verified).toBe(false)
      const conversationId = await startConversation(claim)
      const stream = await openEventStream(server.url, { token: claim.token })
      try {
        expect(stream.status).toBe(200)
        expect((await server.admin('PATCH', `/admin/v1/apps/${own.appId}/platforms/web`, { enforced: true })).status).toBe(200)
        await expectClosedWithoutIt(stream, await teammateReply(conversationId, 'after enforcement', own.appId))
      } finally {
        stream.close()
      }
      const calls: Array<[string, string, unknown?]> = [
        ['GET', '/v1/messenger/me'],
        ['GET', '/v1/messenger/conversations'],
        ['POST', '/v1/messenger/conversations', { body: 'still here?' }],
        ['GET', `/v1/messenger/conversations/${conversationId}`],
        ['POST', `/v1/messenger/conversations/${conversationId}/messages`, { body: 'still here?' }],
      ]
      for (const [method, path, body] of calls) {
        const res = await server.request(method, path, { token: claim.token, ...(body !== undefined && { body }) })
        expect([method, path, res.status, res.body.error?.code]).toEqual([method, path, 401, 'token_invalid'])
        expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /)
      }
      const refused = await openEventStream(server.url, { token: claim.token })
      expect([refused.status, refused.error.error.code]).toEqual([401, 'token_invalid'])
      // Enforcement does not concern anonymous visitors, and verified users have their proof.
      for (const session of [visitor, proven]) expect((await server.request('GET', '/v1/messenger/me', { token: session.token })).status).toBe(200)
    })
  })
})
