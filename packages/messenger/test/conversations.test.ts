// conversations.create / list / get / reply against a real Verity, with its privacy rules as the
// SDK's user meets them: devices, upgrades, other users.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'

import { createMessenger, type MessengerStorage } from '../src/index.js'
import { hmacHex, inspectableStorage, recordingFetch, BACKENDS, startBackendServer, type TestServer } from './support.js'

describe.each(BACKENDS)('messenger SDK conversations (%s)', (backend) => {
  let server: TestServer

  beforeAll(async () => {
    server = await startBackendServer(backend)
  })
  afterAll(async () => {
    await server?.close()
  })

  async function setup(options: { enforced?: boolean } = {}) {
    const { appId, secrets } = await server.createApp()
    if (options.enforced) await server.admin('PATCH', `/admin/v1/apps/${appId}/platforms/web`, { enforced: true })
    const make = (storage: MessengerStorage = inspectableStorage(), fetchImpl?: typeof fetch) =>
      createMessenger({ baseUrl: server.url, appId, platform: 'web', storage, ...(fetchImpl && { fetch: fetchImpl }) })
    return { appId, secrets, make }
  }

  const failure = (promise: Promise<unknown>) => promise.then(() => null, (error) => error)

  describe('conversations', () => {
    it('creates, lists, gets and replies, with camelCase fields', async () => {
      const { secrets, make } = await setup({ enforced: true })
      const messenger = make()
      await messenger.login({ userId: 'ada', userHash: hmacHex(secrets.web, 'ada') })

      const first = await messenger.conversations.create('Hello, my invoice is wrong')
      expect(first).toEqual({
        id: expect.any(String),
        createdAt: expect.any(String),
        lastMessageAt: expect.any(String),
        verified: true,
        messages: [{ id: expect.any(String), author: 'user', body: 'Hello, my invoice is wrong', createdAt: expect.any(String) }],
      })
      const reply = await messenger.conversations.reply(first.id, 'It says 12 seats; we have 10.')
      expect(reply).toEqual({ id: expect.any(String), author: 'user', body: 'It says 12 seats; we have 10.', createdAt: expect.any(String) })
      const second = await messenger.conversations.create('Another question')

      const page = await messenger.conversations.list()
      expect(page.nextCursor).toBeNull()
      expect(page.conversations.map((c) => c.id)).toEqual([second.id, first.id])
      expect(page.conversations[1]).toMatchObject({ id: first.id, verified: true, lastMessage: { id: reply.id, body: reply.body, author: 'user' } })

      const got = await messenger.conversations.get(first.id)
      expect(got.messages.map((m) => m.body)).toEqual(['Hello, my invoice is wrong', 'It says 12 seats; we have 10.'])
    })

    it('pages with limit and cursor', async () => {
      const { make } = await setup()
      const messenger = make()
      await messenger.registerUnidentifiedUser()
      const made = []
      for (const body of ['one', 'two', 'three']) made.push((await messenger.conversations.create(body)).id)
      const seen: string[] = []
      let cursor: string | undefined
      do {
        const page = await messenger.conversations.list({ limit: 2, ...(cursor && { cursor }) })
        expect(page.conversations.length).toBeLessThanOrEqual(2)
        seen.push(...page.conversations.map((c) => c.id))
        cursor = page.nextCursor ?? undefined
      } while (cursor)
      expect(seen).toEqual(made.reverse())
    })

    it('rejects another user’s conversation with not_found, and a bad body with invalid_request', async () => {
      const { secrets, make } = await setup({ enforced: true })
      const ada = make()
      const bob = make()
      await ada.login({ userId: 'ada', userHash: hmacHex(secrets.web, 'ada') })
      await bob.login({ userId: 'bob', userHash: hmacHex(secrets.web, 'bob') })
      const conversation = await ada.conversations.create('private')
      expect(await failure(bob.conversations.get(conversation.id))).toMatchObject({ name: 'VerityError', code: 'not_found', status: 404 })
      expect(await failure(bob.conversations.reply(conversation.id, 'hi'))).toMatchObject({ code: 'not_found' })
      expect((await bob.conversations.list()).conversations).toEqual([])
      expect(await failure(ada.conversations.create(''))).toMatchObject({ code: 'invalid_request', status: 400 })
      expect(await failure(ada.conversations.get('../../admin'))).toMatchObject({ status: 404 })
    })

    it('shows a verified user their conversations on every device', async () => {
      const { secrets, make } = await setup({ enforced: true })
      const phone = make()
      const laptop = make()
      await phone.login({ userId: 'ada', userHash: hmacHex(secrets.web, 'ada') })
      const started = await phone.conversations.create('from my phone')
      await laptop.setUserHash(hmacHex(secrets.web, 'ada'))
      await laptop.registerIdentifiedUser({ userId: 'ada' })
      expect((await laptop.conversations.list()).conversations.map((c) => c.id)).toEqual([started.id])
    })

    it('keeps a visitor’s conversations on the device across restarts, and logout does not show them to the next user', async () => {
      const { make } = await setup()
      const storage = inspectableStorage()
      const before = make(storage)
      await before.registerUnidentifiedUser()
      const visitorConversation = await before.conversations.create('a visitor asks')

      const afterRestart = make(storage) // same storage: same device
      await afterRestart.registerUnidentifiedUser()
      expect((await afterRestart.conversations.list()).conversations.map((c) => c.id)).toEqual([visitorConversation.id])

      await afterRestart.registerIdentifiedUser({ userId: 'carol' })
      const carolConversation = await afterRestart.conversations.create('carol, unverified')
      expect((await afterRestart.conversations.list()).conversations.map((c) => c.id)).toEqual([carolConversation.id])

      await afterRestart.logout()
      await afterRestart.registerUnidentifiedUser()
      const ids = (await afterRestart.conversations.list()).conversations.map((c) => c.id)
      expect(ids).toEqual([visitorConversation.id])
      expect(await failure(afterRestart.conversations.get(carolConversation.id))).toMatchObject({ code: 'not_found' })
    })

    it('after setUserHash upgrades a session, the verified user’s conversations appear and the unverified ones stay behind', async () => {
      const { appId, secrets, make } = await setup()
      const phone = make()
      await phone.login({ userId: 'ada', userHash: hmacHex(secrets.web, 'ada') })
      const verifiedOne = await phone.conversations.create('verified, from the phone')

      const laptop = make()
      await laptop.registerIdentifiedUser({ userId: 'ada' })
      expect(laptop.user?.verified).toBe(false)
      const unverifiedOne = await laptop.conversations.create('before the hash')
      expect(unverifiedOne.verified).toBe(false)
      expect((await laptop.conversations.list()).conversations.map((c) => c.id)).toEqual([unverifiedOne.id])

      await laptop.setUserHash(hmacHex(secrets.web, 'ada'))
      expect(laptop.user?.verified).toBe(true)
      expect((await laptop.conversations.list()).conversations.map((c) => c.id)).toEqual([verifiedOne.id])
      // Teammates still see both.
      const admin = await server.admin('GET', `/admin/v1/apps/${appId}/conversations`)
      expect(admin.body.conversations.map((c: { id: string }) => c.id).sort()).toEqual([verifiedOne.id, unverifiedOne.id].sort())
    })
  })

  describe('renewal of an expired or revoked access token', () => {
    it('renews an expired token with the same hash and device, once, without the app noticing', async () => {
      const { make } = await setup()
      const recorder = recordingFetch()
      const storage = inspectableStorage()
      const messenger = make(storage, recorder.fetch)
      await messenger.registerIdentifiedUser({ userId: 'dora' }) // unverified: lives on this device
      const conversation = await messenger.conversations.create('before expiry')

      await travelInTime(server.config.tokenTtlSeconds + 5)
      try {
        const page = await messenger.conversations.list()
        expect(page.conversations.map((c) => c.id)).toEqual([conversation.id])
        const statuses = recorder.calls.slice(-3).map((c) => `${c.method} ${c.path.split('?')[0]} ${c.status}`)
        expect(statuses).toEqual(['GET /v1/messenger/conversations 401', 'POST /v1/messenger/auth 200', 'GET /v1/messenger/conversations 200'])
        expect(recorder.calls.at(-3)!.responseHeaders['www-authenticate']).toContain('expired')
        const renewal = recorder.authBodies().at(-1)
        expect(renewal).toMatchObject({ user_id: 'dora', device_id: storage.map.values().next().value })
        expect(messenger.user).toMatchObject({ userId: 'dora', verified: false })
      } finally {
        vi.useRealTimers()
      }
    })

    it('renews an identity-token session through getIdentityToken after expiry', async () => {
      const { signIdentityToken } = await import('../../node/src/index.js')
      const { appId, secrets } = await setup({ enforced: true })
      const recorder = recordingFetch()
      const getIdentityToken = vi.fn(() => signIdentityToken(secrets.web, { userId: 'eve' }, { expiresIn: 120 }))
      const messenger = createMessenger({ baseUrl: server.url, appId, platform: 'web', fetch: recorder.fetch, getIdentityToken })
      await messenger.login({ identityToken: signIdentityToken(secrets.web, { userId: 'eve' }, { expiresIn: 120 }) })
      const conversation = await messenger.conversations.create('signed in with a token')

      // Past the access token's lifetime, and past the first identity token's expiry and leeway.
      await travelInTime(Math.max(server.config.tokenTtlSeconds, 120 + 60) + 5)
      try {
        expect(getIdentityToken).not.toHaveBeenCalled()
        const got = await messenger.conversations.get(conversation.id)
        expect(got.id).toBe(conversation.id)
        expect(getIdentityToken).toHaveBeenCalledTimes(1)
        expect(messenger.user).toMatchObject({ userId: 'eve', verified: true })
        const refused = recorder.calls.filter((c) => c.status === 401)
        expect(refused.map((c) => c.path)).toEqual([`/v1/messenger/conversations/${conversation.id}`])
        expect(refused[0]!.responseHeaders['www-authenticate']).toContain('expired')
      } finally {
        vi.useRealTimers()
      }
    })

    it('renews a session whose secret was revoked through getIdentityToken, signed with the new secret', async () => {
      const { signIdentityToken } = await import('../../node/src/index.js')
      const { appId, secrets } = await setup({ enforced: true })
      const created = await server.admin('POST', `/admin/v1/apps/${appId}/platforms/web/secrets`)
      expect(created.status).toBe(201)
      const newSecret = created.body.secret
      let current = secrets.web
      const getIdentityToken = vi.fn(async () => signIdentityToken(current, { userId: 'finn' }, { expiresIn: 300 }))
      const messenger = createMessenger({ baseUrl: server.url, appId, platform: 'web', getIdentityToken })
      await messenger.login({ identityToken: signIdentityToken(current, { userId: 'finn' }, { expiresIn: 300 }) })
      await messenger.conversations.create('before the rotation')

      const old = (await server.admin('GET', `/admin/v1/apps/${appId}/platforms/web/secrets`)).body.secrets.find((s: { value: string }) => s.value === secrets.web)
      current = newSecret.value
      expect((await server.admin('DELETE', `/admin/v1/apps/${appId}/platforms/web/secrets/${old.id}`)).status).toBe(204)

      const page = await messenger.conversations.list()
      expect(page.conversations).toHaveLength(1)
      expect(getIdentityToken).toHaveBeenCalledTimes(1)
    })

    it('rejects with the renewal’s own error when the proof no longer verifies', async () => {
      const { appId, secrets, make } = await setup({ enforced: true })
      const created = await server.admin('POST', `/admin/v1/apps/${appId}/platforms/web/secrets`)
      expect(created.status).toBe(201)
      const messenger = make()
      await messenger.login({ userId: 'gus', userHash: hmacHex(secrets.web, 'gus') })
      const old = (await server.admin('GET', `/admin/v1/apps/${appId}/platforms/web/secrets`)).body.secrets.find((s: { value: string }) => s.value === secrets.web)
      expect((await server.admin('DELETE', `/admin/v1/apps/${appId}/platforms/web/secrets/${old.id}`)).status).toBe(204)
      expect(await failure(messenger.conversations.list())).toMatchObject({ code: 'user_hash_invalid', status: 401 })
    })
  })

  /**
   * Moves this process's clock forward, for the SDK and the in-process server alike: the server then
   * finds the token expired by its own check, as it would after that much real time. Timers stay
   * real. The server's configuration is refreshed at the new time, as its 1 s refresh would.
   */
  async function travelInTime(seconds: number): Promise<void> {
    vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true })
    vi.setSystemTime(Date.now() + seconds * 1000)
    await server.running.cache.refresh()
  }
})
