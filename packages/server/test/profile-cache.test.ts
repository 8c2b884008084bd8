// GET /v1/messenger/me answers from memory, and never serves a profile older than the documented
// bound (docs/running-several-instances.md, "Profiles in memory"): at once in the process that
// changed it, on NOTIFY on other PostgreSQL instances, on every erasure, sign-out, app deletion.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { epochSeconds, signHs256 } from './support/identity-token.js'
import { verifiedSession, type MessengerSession } from './support/messenger-sessions.js'
import { BACKENDS, startBackendServer, startOnSameData } from './support/backends.js'
import type { TestServer } from './support/test-server.js'
import { within } from './support/within.js'

type App = Awaited<ReturnType<TestServer['createApp']>>

const me = (server: TestServer, s: MessengerSession) => server.request('GET', '/v1/messenger/me', { token: s.token })
const patch = (server: TestServer, s: MessengerSession, body: unknown) => server.request('PATCH', '/v1/messenger/me', { token: s.token, body })

describe.each(BACKENDS)('profiles in memory (%s)', (backend) => {
  let server: TestServer
  let app: App

  beforeAll(async () => {
    server = await startBackendServer(backend)
    app = await server.createApp('Cached profiles')
  })
  afterAll(() => server.close())

  const cache = () => server.running.profileCache

  it('a second GET /me of a user reads no storage: the cache answers it', async () => {
    const alice = await verifiedSession(server, app.appId, app.secrets.web, { userId: 'cache-alice' })
    expect((await patch(server, alice, { name: 'Alice' })).status).toBe(200)
    expect((await me(server, alice)).body.user.name).toBe('Alice')
    const hits = cache().hits
    const misses = cache().misses
    for (let i = 0; i < 5; i++) expect((await me(server, alice)).body.user).toMatchObject({ user_id: 'cache-alice', name: 'Alice' })
    expect(cache().hits - hits).toBe(5)
    expect(cache().misses).toBe(misses)
  })

  it("a PATCH shows in the very next GET /me, also from the user's other sessions", async () => {
    const bob = await verifiedSession(server, app.appId, app.secrets.web, { userId: 'cache-bob' })
    const bobOnIos = await verifiedSession(server, app.appId, app.secrets.ios, { userId: 'cache-bob' }, 'ios')
    expect((await me(server, bobOnIos)).body.user.name).toBeNull()
    for (const name of ['Bob', 'Robert', 'Bobby']) {
      expect((await patch(server, bob, { name, attributes: { plan: name.length } })).status).toBe(200)
      expect((await me(server, bobOnIos)).body.user).toMatchObject({ name, attributes: { plan: name.length } })
    }
  })

  it('attributes signed at a login show in the next GET /me once stored', async () => {
    const session = await verifiedSession(server, app.appId, app.secrets.web, { userId: 'cache-carol' })
    expect((await me(server, session)).body.user.verified_attributes).toEqual({})
    const identityToken = signHs256(app.secrets.web, { user_id: 'cache-carol', exp: epochSeconds(300), attributes: { tier: 'gold' } })
    const res = await server.request('POST', '/v1/messenger/auth', { body: { app_id: app.appId, platform: 'web', identity_token: identityToken } })
    expect(res.status).toBe(200)
    await server.running.events.flush()
    expect((await me(server, session)).body.user.verified_attributes).toEqual({ tier: 'gold' })
  })

  it('an erasure drops the profile: the user signing in again has none', async () => {
    const dave = await verifiedSession(server, app.appId, app.secrets.web, { userId: 'cache-dave' })
    await patch(server, dave, { name: 'Dave', attributes: { secret: 'x' } })
    expect((await me(server, dave)).body.user.name).toBe('Dave')
    expect(cache().size).toBeGreaterThan(0)
    expect((await server.admin('DELETE', `/admin/v1/apps/${app.appId}/users`, { user_id: 'cache-dave' })).status).toBe(204)
    const refused = await me(server, dave)
    expect([refused.status, refused.body.error.code]).toEqual([401, 'token_invalid'])
    // Tokens count whole seconds: a new session is issued after the sign-out's second.
    await new Promise((r) => setTimeout(r, 1_100))
    const again = await verifiedSession(server, app.appId, app.secrets.web, { userId: 'cache-dave' })
    expect((await me(server, again)).body.user).toMatchObject({ name: null, attributes: {} })
  })

  it('a sign-out drops every kept profile', async () => {
    const erin = await verifiedSession(server, app.appId, app.secrets.web, { userId: 'cache-erin' })
    await me(server, erin)
    expect(cache().size).toBeGreaterThan(0)
    expect((await server.admin('POST', `/admin/v1/apps/${app.appId}/users/sign-out`, { user_id: 'cache-erin' })).status).toBe(200)
    expect(cache().size).toBe(0)
  })
})

describe.each(BACKENDS)('the profile cache bound (%s)', (backend) => {
  let server: TestServer
  let app: App
  beforeAll(async () => {
    server = await startBackendServer(backend, { VERITY_PROFILE_CACHE_SIZE: '2' })
    app = await server.createApp('Small cache')
  })
  afterAll(() => server.close())

  it('keeps at most VERITY_PROFILE_CACHE_SIZE profiles, and answers right past it', async () => {
    const sessions = await Promise.all(['f1', 'f2', 'f3', 'f4'].map((userId) => verifiedSession(server, app.appId, app.secrets.web, { userId })))
    for (const [i, s] of sessions.entries()) await patch(server, s, { name: `User ${i}` })
    for (let round = 0; round < 2; round++) {
      for (const [i, s] of sessions.entries()) expect((await me(server, s)).body.user.name).toBe(`User ${i}`)
      expect(server.running.profileCache.size).toBeLessThanOrEqual(2)
    }
  })
})

describe.each(BACKENDS.filter((b) => b === 'postgres'))('profiles across two instances (%s)', (backend) => {
  let a: TestServer
  let b: TestServer
  let app: App
  beforeAll(async () => {
    a = await startBackendServer(backend)
    b = await startOnSameData(a)
    app = await a.createApp('Two instances')
    await within(2_000, 'the app reaches B', async () => (await b.request('POST', '/v1/messenger/auth', { body: { app_id: app.appId, platform: 'web' } })).status === 200)
  })
  afterAll(async () => {
    await b?.close()
    await a?.close()
  })

  it('a profile changed through A is served changed by B, which had it in memory, within moments', async () => {
    const onA = await verifiedSession(a, app.appId, app.secrets.web, { userId: 'roamer' })
    const onB = await verifiedSession(b, app.appId, app.secrets.web, { userId: 'roamer' })
    await patch(a, onA, { name: 'Before' })
    await within(1_000, 'B sees the first name', async () => (await me(b, onB)).body.user.name === 'Before')
    // A read of B may land before the notice of A's write, which then drops it: B keeps it soon.
    await within(1_000, 'B answers from memory', async () => {
      const hits = b.running.profileCache.hits
      expect((await me(b, onB)).body.user.name).toBe('Before')
      return b.running.profileCache.hits === hits + 1
    })
    expect((await patch(a, onA, { name: 'After' })).status).toBe(200)
    // Well under the 5-s bound that holds without any notice: NOTIFY drops B's copy on commit.
    const ms = await within(1_000, 'B serves the new name', async () => (await me(b, onB)).body.user.name === 'After')
    expect(ms).toBeLessThan(1_000)
  })

  it('signed attributes stored through A reach B', async () => {
    const onB = await verifiedSession(b, app.appId, app.secrets.web, { userId: 'signed-roamer' })
    expect((await me(b, onB)).body.user.verified_attributes).toEqual({})
    const identityToken = signHs256(app.secrets.web, { user_id: 'signed-roamer', exp: epochSeconds(300), attributes: { tier: 'gold' } })
    expect((await a.request('POST', '/v1/messenger/auth', { body: { app_id: app.appId, platform: 'web', identity_token: identityToken } })).status).toBe(200)
    await a.running.events.flush()
    await within(1_000, 'B serves the signed attributes', async () => (await me(b, onB)).body.user.verified_attributes?.tier === 'gold')
  })

  it('while B cannot hear notices it keeps no profile, and drops all when it hears again', async () => {
    const onB = await verifiedSession(b, app.appId, app.secrets.web, { userId: 'deaf' })
    const other = await verifiedSession(b, app.appId, app.secrets.web, { userId: 'deaf-too' })
    await me(b, onB)
    await me(b, other)
    expect(b.running.profileCache.size).toBeGreaterThanOrEqual(2)
    await b.running.listener!.stop()
    const misses = b.running.profileCache.misses
    await me(b, onB)
    await me(b, onB)
    expect(b.running.profileCache.misses - misses).toBe(2)
    await b.running.listener!.start()
    expect(b.running.listener!.connected).toBe(true)
    expect(b.running.profileCache.size).toBe(0)
  })
})
