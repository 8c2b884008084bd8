import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { anonymousSession, unverifiedSession, verifiedSession, type MessengerSession } from './support/messenger-sessions.js'
import { openEventStream } from './support/sse-client.js'
import { TEST_ADMIN_KEY, type TestServer } from './support/test-server.js'
import { BACKENDS, startBackendServer } from './support/backends.js'

/**
 * Issue 3's matrix: every conversation route against every kind of session that is not the owner,
 * and every kind of token that is not valid. Three conversations are the targets: the one verified
 * Alice started, the one her anonymous visitor started on her device D, and the one an unverified
 * claim to "alice" started on device E. Each session must read exactly the targets of its own space,
 * get 404 not_found (never 403) for the others, and find none of the others in its list.
 */
describe.each(BACKENDS)('privacy matrix (%s)', (backend) => {
  type Target = 'owner' | 'ownerAnonymous' | 'claim'
  interface Actor {
    readonly session: MessengerSession
    /** Sessions with the same space label read the same conversations. */
    readonly space: string
    readonly reads: readonly Target[]
  }

  let server: TestServer
  let appId: string
  let app: Awaited<ReturnType<TestServer['createApp']>>
  const targets = {} as Record<Target, string>
  const actors = new Map<string, Actor>()
  /** Conversations each space started during the matrix (the create cells). */
  const startedBy = new Map<string, string[]>()

  const ACTORS = [
    'owner (verified)',
    'owner on another platform (verified)',
    'another verified user',
    'verified email equal to the owner user id',
    'unverified claim to the owner id, new device',
    'unverified claim to the owner id, on the owner device',
    'owner anonymous visitor on the owner device',
    'another anonymous visitor',
    'same user id in another app (verified)',
  ] as const

  beforeAll(async () => {
    server = await startBackendServer(backend)
    app = await server.createApp('Matrix app')
    appId = app.appId
    const otherApp = await server.createApp('Other app')

    const owner = await verifiedSession(server, appId, app.secrets.web, { userId: 'alice' })
    const ownerAnonymous = await anonymousSession(server, appId)
    const deviceD = ownerAnonymous.user.device_id!
    const claim = await unverifiedSession(server, appId, { userId: 'alice' })
    expect(claim.user).toMatchObject({ user_id: 'alice', verified: false, anonymous: false })

    const start = async (session: MessengerSession, body: string): Promise<string> => {
      const res = await server.request('POST', '/v1/messenger/conversations', { token: session.token, body: { body } })
      expect(res.status).toBe(201)
      return res.body.conversation.id
    }
    targets.owner = await start(owner, "owner's verified conversation")
    targets.ownerAnonymous = await start(ownerAnonymous, "owner's anonymous conversation")
    targets.claim = await start(claim, "claimant's conversation")

    const add = (name: (typeof ACTORS)[number], session: MessengerSession, space: string, reads: Target[]) => actors.set(name, { session, space, reads })
    add('owner (verified)', owner, 'verified alice', ['owner'])
    add('owner on another platform (verified)', await verifiedSession(server, appId, app.secrets.ios, { userId: 'alice' }, 'ios'), 'verified alice', ['owner'])
    add('another verified user', await verifiedSession(server, appId, app.secrets.web, { userId: 'bob' }), 'verified bob', [])
    add('verified email equal to the owner user id', await verifiedSession(server, appId, app.secrets.web, { email: 'alice' }), 'verified email alice', [])
    add('unverified claim to the owner id, new device', claim, 'claim on E', ['claim'])
    add('unverified claim to the owner id, on the owner device', await unverifiedSession(server, appId, { userId: 'alice' }, deviceD), 'claim on D', [])
    add('owner anonymous visitor on the owner device', await anonymousSession(server, appId, deviceD), 'anonymous D', ['ownerAnonymous'])
    add('another anonymous visitor', await anonymousSession(server, appId), 'anonymous F', [])
    add('same user id in another app (verified)', await verifiedSession(server, otherApp.appId, otherApp.secrets.web, { userId: 'alice' }), 'other app alice', [])
    // The resumed anonymous session really is on device D, and the claim on D really is on D.
    expect(actors.get('owner anonymous visitor on the owner device')!.session.user.device_id).toBe(deviceD)
    expect(actors.get('unverified claim to the owner id, on the owner device')!.session.user.device_id).toBe(deviceD)
  })
  afterAll(() => server.close())

  async function listAll(token: string): Promise<string[]> {
    const ids: string[] = []
    let cursor: string | null = null
    for (let page = 0; page < 20; page++) {
      const res = await server.request('GET', `/v1/messenger/conversations?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { token })
      expect(res.status).toBe(200)
      ids.push(...res.body.conversations.map((c: { id: string }) => c.id))
      cursor = res.body.next_cursor
      if (cursor === null) return ids
    }
    throw new Error('too many pages')
  }

  const TARGETS: Target[] = ['owner', 'ownerAnonymous', 'claim']

  describe.each(ACTORS)('%s', (name) => {
    const actor = () => actors.get(name)!

    it.each(TARGETS)('GET /v1/messenger/conversations/{id} of the %s conversation', async (target) => {
      const res = await server.request('GET', `/v1/messenger/conversations/${targets[target]}`, { token: actor().session.token })
      if (actor().reads.includes(target)) {
        expect(res.status).toBe(200)
        expect(res.body.conversation.id).toBe(targets[target])
      } else {
        expect([res.status, res.body.error.code]).toEqual([404, 'not_found'])
        expect(JSON.stringify(res.body)).not.toContain('conversation"')
      }
    })

    it.each(TARGETS)('POST /v1/messenger/conversations/{id}/messages in the %s conversation', async (target) => {
      const before = await server.running.data.db.selectFrom('messages').select('id').where('conversation_id', '=', targets[target]).execute()
      const res = await server.request('POST', `/v1/messenger/conversations/${targets[target]}/messages`, {
        token: actor().session.token,
        body: { body: `from ${name}` },
      })
      const after = await server.running.data.db.selectFrom('messages').select('id').where('conversation_id', '=', targets[target]).execute()
      if (actor().reads.includes(target)) {
        expect(res.status).toBe(201)
        expect(after.length).toBe(before.length + 1)
      } else {
        expect([res.status, res.body.error.code]).toEqual([404, 'not_found'])
        expect(after.length).toBe(before.length)
      }
    })

    it('POST /v1/messenger/conversations starts one in its own space only', async () => {
      const res = await server.request('POST', '/v1/messenger/conversations', { token: actor().session.token, body: { body: `started by ${name}` } })
      expect(res.status).toBe(201)
      expect(res.body.conversation.verified).toBe(actor().session.user.verified)
      const list = startedBy.get(actor().space) ?? []
      list.push(res.body.conversation.id)
      startedBy.set(actor().space, list)
    })

    it('GET /v1/messenger/conversations lists exactly what this session may read', async () => {
      const listed = await listAll(actor().session.token)
      const own = startedBy.get(actor().space) ?? []
      expect(own.length).toBeGreaterThan(0) // the create cell ran first
      const expected = [...actor().reads.map((t) => targets[t]), ...own]
      expect([...listed].sort()).toEqual([...expected].sort())
    })
  })

  describe('every other space sees nothing of a conversation started by another', () => {
    it('no list holds a conversation started in another space', async () => {
      for (const [name, actor] of actors) {
        const listed = new Set(await listAll(actor.session.token))
        for (const [space, ids] of startedBy) {
          for (const id of ids) expect([name, id, listed.has(id)]).toEqual([name, id, space === actor.space])
        }
      }
    })
  })

  describe('live events follow the same rule', () => {
    it('each stream receives the replies in exactly the conversations its session may read', async () => {
      const streams = new Map<string, Awaited<ReturnType<typeof openEventStream>>>()
      for (const [name, actor] of actors) streams.set(name, await openEventStream(server.url, { token: actor.session.token }))
      try {
        const replies = new Map<string, string>()
        for (const target of TARGETS) {
          const res = await server.admin('POST', `/admin/v1/apps/${appId}/conversations/${targets[target]}/messages`, { body: `teammate to ${target}` })
          expect(res.status).toBe(201)
          replies.set(res.body.message.id, targets[target])
        }
        // A last reply in each space's own conversation: once it arrives, everything before it has.
        const sentinels = new Map<string, string>()
        for (const [space, ids] of startedBy) {
          const conversationApp = space === 'other app alice' ? null : appId
          if (!conversationApp) continue
          const res = await server.admin('POST', `/admin/v1/apps/${conversationApp}/conversations/${ids[0]}/messages`, { body: `sentinel ${space}` })
          sentinels.set(space, res.body.message.id)
        }
        for (const [name, actor] of actors) {
          const stream = streams.get(name)!
          const sentinel = sentinels.get(actor.space)
          if (sentinel) await stream.next((e) => e.id === sentinel)
          const gotTargets = stream.events.filter((e) => replies.has(e.id!)).map((e) => replies.get(e.id!))
          expect([name, gotTargets.sort()]).toEqual([name, actor.reads.map((t) => targets[t]).sort()])
          for (const event of stream.events) {
            const data = JSON.parse(event.data)
            const readable = [...actor.reads.map((t) => targets[t]), ...(startedBy.get(actor.space) ?? [])]
            expect([name, readable.includes(data.conversation_id)]).toEqual([name, true])
          }
        }
      } finally {
        for (const stream of streams.values()) stream.close()
      }
    })
  })

  // --- tokens that are not valid -------------------------------------------------------------------

  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const decode = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'))

  const BAD_TOKENS: Record<string, () => string | undefined> = {
    missing: () => undefined,
    expired: () => {
      // Signed by the server's own key, two hours ago: only the expiry is wrong.
      const owner = decode(actors.get('owner (verified)')!.session.token.split('.')[1]!)
      const { iss: _iss, iat: _iat, exp: _exp, sub: _sub, ...claims } = owner
      return server.running.cache.keyring.sign(claims, Date.now() - 2 * 3600_000).token
    },
    'tampered (anonymous token rewritten to verified alice)': () => {
      const [header, payload, signature] = actors.get('owner anonymous visitor on the owner device')!.session.token.split('.')
      const claims = decode(payload!)
      delete claims.did
      return `${header}.${b64({ ...claims, trust: 'verified', uid: 'alice', sub: 'uid:alice' })}.${signature}`
    },
    'tampered signature': () => {
      const token = actors.get('owner (verified)')!.session.token
      return token.slice(0, -4) + (token.endsWith('AAAA') ? 'BBBB' : 'AAAA')
    },
    'alg none': () => {
      const [header, payload] = actors.get('owner (verified)')!.session.token.split('.')
      return `${b64({ ...decode(header!), alg: 'none' })}.${payload}.`
    },
    'the admin key': () => TEST_ADMIN_KEY,
    garbage: () => 'not-a-token',
  }
  const EXPECTED_CODE: Record<string, string> = {
    missing: 'token_missing',
    expired: 'token_expired',
    'tampered (anonymous token rewritten to verified alice)': 'token_invalid',
    'tampered signature': 'token_invalid',
    'alg none': 'token_invalid',
    'the admin key': 'token_invalid',
    garbage: 'token_invalid',
  }

  const ROUTES: { name: string; method: string; path: () => string; body?: unknown }[] = [
    { name: 'POST /v1/messenger/conversations', method: 'POST', path: () => '/v1/messenger/conversations', body: { body: 'hi' } },
    { name: 'GET /v1/messenger/conversations', method: 'GET', path: () => '/v1/messenger/conversations' },
    { name: 'GET /v1/messenger/conversations/{id}', method: 'GET', path: () => `/v1/messenger/conversations/${targets.owner}` },
    { name: 'POST /v1/messenger/conversations/{id}/messages', method: 'POST', path: () => `/v1/messenger/conversations/${targets.owner}/messages`, body: { body: 'hi' } },
    { name: 'GET /v1/messenger/events', method: 'GET', path: () => '/v1/messenger/events' },
    { name: 'GET /v1/messenger/me', method: 'GET', path: () => '/v1/messenger/me' },
    { name: 'PATCH /v1/messenger/me', method: 'PATCH', path: () => '/v1/messenger/me', body: { name: 'Mallory' } },
  ]

  describe.each(Object.keys(BAD_TOKENS))('%s token', (kind) => {
    it.each(ROUTES.map((r) => [r.name, r] as const))(
      '%s answers 401 with WWW-Authenticate and writes nothing',
      async (_, route) => {
        const before = await server.running.data.db.selectFrom('messages').select('id').execute()
        const token = BAD_TOKENS[kind]!()
        const res = await server.request(route.method, route.path(), { ...(token !== undefined && { token }), ...(route.body !== undefined && { body: route.body }) })
        expect([res.status, res.body?.error?.code]).toEqual([401, EXPECTED_CODE[kind]])
        expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="verity"/)
        const after = await server.running.data.db.selectFrom('messages').select('id').execute()
        expect(after.length).toBe(before.length)
      },
    )
  })

  describe('messenger tokens and admin routes do not mix', () => {
    it('a messenger token never opens an admin route', async () => {
      const token = actors.get('owner (verified)')!.session.token
      for (const [method, path, body] of [
        ['GET', `/admin/v1/apps/${appId}/conversations`, undefined],
        ['POST', `/admin/v1/apps/${appId}/conversations/${targets.owner}/messages`, { body: 'hi' }],
      ] as const) {
        const res = await server.request(method, path, { token, ...(body && { body }) })
        expect([path, res.status, res.body.error.code]).toEqual([path, 401, 'unauthorized'])
      }
    })

    it("a token of another app cannot reach this app's conversations through the admin API either", async () => {
      const other = actors.get('same user id in another app (verified)')!.session.token
      const res = await server.request('GET', `/admin/v1/apps/${appId}/conversations`, { token: other })
      expect([res.status, res.body.error.code]).toEqual([401, 'unauthorized'])
    })
  })
})
