// GET /admin/v1/events: teammates' live events (messages from users, failures, alerts), on both
// databases, and across two instances on PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BACKENDS, startBackendServer, startOnSameData } from './support/backends.js'
import { openEventStream, type EventStreamClient } from './support/sse-client.js'
import { addTeammate, apiToken, signIn, TEST_SCRYPT_ENV } from './support/teammates.js'
import { TEST_ADMIN_KEY, type TestServer } from './support/test-server.js'

const open = (server: TestServer, credential: { token?: string; cookie?: string }): Promise<EventStreamClient> =>
  openEventStream(server.url, { path: '/admin/v1/events', ...(credential.token && { token: credential.token }), ...(credential.cookie && { headers: { cookie: credential.cookie } }) })

const data = (event: { data: string }) => JSON.parse(event.data)

describe.each(BACKENDS)('live admin events (%s)', (backend) => {
  let server: TestServer
  let appId: string
  let secrets: { web: string }
  const streams: EventStreamClient[] = []
  const track = async (opening: Promise<EventStreamClient>): Promise<EventStreamClient> => {
    const stream = await opening
    streams.push(stream)
    return stream
  }

  beforeAll(async () => {
    server = await startBackendServer(backend, { ...TEST_SCRYPT_ENV, VERITY_ADMIN_GUESS_RATE: '10000' })
    ;({ appId, secrets } = await server.createApp('Live'))
  })
  afterAll(async () => {
    for (const s of streams) s.close()
    await server.close()
  })

  it("sends a user's new message, a new failure and a new alert to an owner's session; an agent's token gets the message only", async () => {
    await addTeammate(server, 'owner@example.com', 'owner')
    const agentId = await addTeammate(server, 'agent@example.com', 'agent')
    const owner = await track(open(server, { cookie: (await signIn(server, 'owner@example.com')).cookie }))
    const agent = await track(open(server, { token: await apiToken(server, agentId, 'agent') }))
    expect(owner.status).toBe(200)
    expect(owner.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
    expect(agent.status).toBe(200)

    // A message from a user reaches both; a teammate's reply is not an event.
    const session = await server.request('POST', '/v1/messenger/auth', { body: { app_id: appId, platform: 'web' } })
    const started = await server.request('POST', '/v1/messenger/conversations', { token: session.body.access_token, body: { body: 'Where is my order?' } })
    const conversationId = started.body.conversation.id as string
    for (const stream of [owner, agent]) {
      const got = data(await stream.next((e) => e.event === 'message'))
      expect(got).toEqual({ app_id: appId, conversation_id: conversationId, message: { id: expect.stringMatching(/^msg_/), author: 'user', body: 'Where is my order?', created_at: expect.any(String) } })
    }
    await server.admin('POST', `/admin/v1/apps/${appId}/conversations/${conversationId}/messages`, { body: 'On its way.' })

    // A wrong hash: a failure, shaped as the failures API lists it.
    await server.request('POST', '/v1/messenger/auth', { body: { app_id: appId, platform: 'web', user_id: 'u-bad', user_hash: '0'.repeat(64), app_version: '3.1.0' } })
    const failure = data(await owner.next((e) => e.event === 'failure', 8_000))
    const listed = (await server.admin('GET', `/admin/v1/apps/${appId}/failures`)).body.failures[0]
    expect(failure).toEqual({ app_id: appId, failure: listed })
    expect(failure.failure).toMatchObject({ platform: 'web', user_id: 'u-bad', app_version: '3.1.0', code: 'user_hash_invalid' })

    // The secret itself sent as a user hash: an exposed-secret alert (and a failure).
    await server.request('POST', '/v1/messenger/auth', { body: { app_id: appId, platform: 'web', user_id: 'u-leak', user_hash: secrets.web } })
    const alert = data(await owner.next((e) => e.event === 'alert', 8_000)).alert
    expect(alert).toMatchObject({ type: 'secret.exposed', app_id: appId, platform: 'web', details: { reason: 'secret_sent_by_client' } })
    expect(JSON.stringify(owner.events)).not.toContain(secrets.web)
    await owner.next((e) => e.event === 'failure' && data(e).failure.diagnosis === 'secret_sent_by_client', 8_000)

    // The agent got the one message, and nothing else, by now.
    const second = await server.request('POST', `/v1/messenger/conversations/${conversationId}/messages`, { token: session.body.access_token, body: { body: 'Thanks' } })
    expect(second.status).toBe(201)
    await agent.next((e) => e.event === 'message' && data(e).message.body === 'Thanks')
    expect(agent.events.map((e) => `${e.event} ${data(e).message?.body}`)).toEqual(['message Where is my order?', 'message Thanks'])
    expect(owner.events.filter((e) => e.event === 'message').map((e) => data(e).message.body)).toEqual(['Where is my order?', 'Thanks'])
  })

  it('ends the stream when the session signs out, the token is revoked, or the teammate is removed or demoted', async () => {
    const ids = {
      out: await addTeammate(server, 'out@example.com', 'admin'),
      gone: await addTeammate(server, 'gone@example.com', 'admin'),
      demoted: await addTeammate(server, 'demoted@example.com', 'admin'),
      revoked: await addTeammate(server, 'revoked@example.com', 'admin'),
    }
    const out = await signIn(server, 'out@example.com')
    const signedOut = await track(open(server, { cookie: out.cookie }))
    const removed = await track(open(server, { cookie: (await signIn(server, 'gone@example.com')).cookie }))
    const demoted = await track(open(server, { token: await apiToken(server, ids.demoted, 'admin') }))
    const tokenValue = await apiToken(server, ids.revoked, 'admin')
    const revoked = await track(open(server, { token: tokenValue }))
    for (const s of [signedOut, removed, demoted, revoked]) expect(s.status).toBe(200)

    expect((await out.call('DELETE', '/admin/v1/session')).status).toBe(204)
    expect((await server.admin('DELETE', `/admin/v1/teammates/${ids.gone}`)).status).toBe(204)
    expect((await server.admin('PATCH', `/admin/v1/teammates/${ids.demoted}`, { role: 'agent' })).status).toBe(200)
    const [token] = await server.running.data.apiTokens.listForTeammate(ids.revoked)
    await server.running.data.apiTokens.delete(ids.revoked, token!.id)
    const ending = (s: EventStreamClient) => Promise.race([s.ended.then(() => 'ended'), new Promise((r) => setTimeout(() => r('still open'), 3_000))])
    expect(await Promise.all([signedOut, removed, demoted, revoked].map(ending))).toEqual(['ended', 'ended', 'ended', 'ended'])
  })

  it('refuses without credentials (401 unauthorized) and past 5 streams of one token (429 rate_limited)', async () => {
    const none = await open(server, {})
    expect(none.status).toBe(401)
    expect(none.error.error.code).toBe('unauthorized')
    const token = await apiToken(server, await addTeammate(server, 'tabs@example.com', 'agent'), 'agent')
    for (let i = 0; i < 5; i++) expect((await track(open(server, { token }))).status).toBe(200)
    const sixth = await open(server, { token })
    expect(sixth.status).toBe(429)
    expect(sixth.error.error.code).toBe('rate_limited')
    // The admin key is a credential of its own.
    expect((await track(open(server, { token: TEST_ADMIN_KEY }))).status).toBe(200)
  })
})

describe.each(BACKENDS.filter((b) => b === 'postgres'))('live admin events across two instances (%s)', (backend) => {
  let a: TestServer
  let b: TestServer

  beforeAll(async () => {
    a = await startBackendServer(backend, TEST_SCRYPT_ENV)
    b = await startOnSameData(a, TEST_SCRYPT_ENV)
  })
  afterAll(async () => {
    await b?.close()
    await a?.close()
  })

  it("a stream on A receives the messages and failures written through B, and ends when the session is signed out on B", async () => {
    const { appId } = await a.createApp('Two instances')
    await addTeammate(a, 'both@example.com', 'owner')
    const teammate = await signIn(a, 'both@example.com')
    const stream = await open(a, { cookie: teammate.cookie })
    expect(stream.status).toBe(200)
    try {
      const session = await b.request('POST', '/v1/messenger/auth', { body: { app_id: appId, platform: 'ios' } })
      expect(session.status).toBe(200)
      await b.request('POST', '/v1/messenger/conversations', { token: session.body.access_token, body: { body: 'Written on B' } })
      expect(data(await stream.next((e) => e.event === 'message')).message.body).toBe('Written on B')
      await b.request('POST', '/v1/messenger/auth', { body: { app_id: appId, platform: 'ios', user_id: 'u-b', user_hash: 'f'.repeat(64) } })
      expect(data(await stream.next((e) => e.event === 'failure', 8_000)).failure).toMatchObject({ platform: 'ios', user_id: 'u-b' })

      // The same session, signed out through B: the stream on A ends.
      const viaB = await b.request('DELETE', '/admin/v1/session', { headers: { cookie: teammate.cookie, 'x-csrf-token': teammate.csrf } })
      expect(viaB.status).toBe(204)
      await Promise.race([stream.ended, new Promise((_, reject) => setTimeout(() => reject(new Error('the stream on A outlived its session')), 3_000))])
    } finally {
      stream.close()
    }
  })
})
