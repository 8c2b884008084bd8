import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { anonymousSession, unverifiedSession, verifiedSession, type MessengerSession } from './support/messenger-sessions.js'
import type { TestServer } from './support/test-server.js'
import { BACKENDS, startBackendServer, startOnSameData } from './support/backends.js'

describe.each(BACKENDS)('messenger devices (%s)', (backend) => {
  let server: TestServer
  let app: Awaited<ReturnType<TestServer['createApp']>>
  let otherApp: Awaited<ReturnType<TestServer['createApp']>>

  beforeAll(async () => {
    server = await startBackendServer(backend)
    app = await server.createApp('Devices')
    otherApp = await server.createApp('Other')
  })
  afterAll(() => server.close())

  const start = async (session: MessengerSession, body: string): Promise<string> => {
    const res = await server.request('POST', '/v1/messenger/conversations', { token: session.token, body: { body } })
    expect(res.status).toBe(201)
    return res.body.conversation.id
  }
  const listed = async (session: MessengerSession): Promise<string[]> => {
    const res = await server.request('GET', '/v1/messenger/conversations', { token: session.token })
    expect(res.status).toBe(200)
    return res.body.conversations.map((c: { id: string }) => c.id)
  }

  describe('device spaces', () => {
    it('an anonymous visitor who authenticates again with its device_id keeps its conversations', async () => {
      const first = await anonymousSession(server, app.appId)
      const id = await start(first, 'before the token renewal')
      const again = await anonymousSession(server, app.appId, first.user.device_id)
      expect(again.user.device_id).toBe(first.user.device_id)
      expect(await listed(again)).toEqual([id])
      const read = await server.request('GET', `/v1/messenger/conversations/${id}`, { token: again.token })
      expect(read.status).toBe(200)
    })

    it('a visitor who authenticates again on another instance on the same data keeps its device and conversations', async () => {
      const first = await anonymousSession(server, app.appId)
      const id = await start(first, 'written on the first instance')
      const second = await startOnSameData(server)
      try {
        const again = await anonymousSession(second, app.appId, first.user.device_id)
        expect(again.user.device_id).toBe(first.user.device_id)
        const res = await second.request('GET', '/v1/messenger/conversations', { token: again.token })
        expect(res.body.conversations.map((c: { id: string }) => c.id)).toEqual([id])
      } finally {
        await second.close()
      }
    })

    it('an unverified user who authenticates again with its device_id keeps its conversations, on another platform too', async () => {
      const first = await unverifiedSession(server, app.appId, { email: 'carol@example.com' })
      const id = await start(first, 'unverified carol')
      const again = await unverifiedSession(server, app.appId, { email: 'carol@example.com' }, first.user.device_id, 'ios')
      expect(await listed(again)).toEqual([id])
    })

    it('without the device_id, the same claim gets a fresh device and an empty space', async () => {
      const first = await unverifiedSession(server, app.appId, { userId: 'dave' })
      await start(first, 'dave on his phone')
      const elsewhere = await unverifiedSession(server, app.appId, { userId: 'dave' })
      expect(elsewhere.user.device_id).not.toBe(first.user.device_id)
      expect(await listed(elsewhere)).toEqual([])
    })

    it("a device_id issued by another app is ignored: a fresh device, none of that device's conversations", async () => {
      const there = await anonymousSession(server, otherApp.appId)
      await start(there, 'in the other app')
      const here = await anonymousSession(server, app.appId, there.user.device_id)
      expect(here.user.device_id).not.toBe(there.user.device_id)
      expect(await listed(here)).toEqual([])
      // And the other app's token with its own device still sees its own.
      expect(await listed(await anonymousSession(server, otherApp.appId, there.user.device_id))).toHaveLength(1)
    })

    it('a made-up device_id is ignored and a fresh one issued', async () => {
      const victim = await anonymousSession(server, app.appId)
      await start(victim, 'victim')
      const forged = victim.user.device_id!.slice(0, -2) + (victim.user.device_id!.endsWith('AA') ? 'BB' : 'AA')
      for (const deviceId of [forged, 'dev_made-up', 'x']) {
        const guess = await anonymousSession(server, app.appId, deviceId)
        expect(guess.user.device_id).not.toBe(deviceId)
        expect(guess.user.device_id).toMatch(/^dev_/)
        expect(await listed(guess)).toEqual([])
      }
    })

    it('one device holds several identities, each in its own space', async () => {
      const anonymous = await anonymousSession(server, app.appId)
      const device = anonymous.user.device_id!
      const asErin = await unverifiedSession(server, app.appId, { userId: 'erin' }, device)
      const asFrank = await unverifiedSession(server, app.appId, { userId: 'frank' }, device)
      expect([asErin.user.device_id, asFrank.user.device_id]).toEqual([device, device])
      const a = await start(anonymous, 'anonymous')
      const e = await start(asErin, 'erin')
      const f = await start(asFrank, 'frank')
      expect(await listed(anonymous)).toEqual([a])
      expect(await listed(asErin)).toEqual([e])
      expect(await listed(asFrank)).toEqual([f])
    })

    it('after verification, what the device wrote unverified stays in the device space, and the verified user starts from theirs', async () => {
      const unverified = await unverifiedSession(server, app.appId, { userId: 'grace' })
      const before = await start(unverified, 'before verifying')
      const verified = await verifiedSession(server, app.appId, app.secrets.web, { userId: 'grace' })
      expect(verified.user.device_id).toBeUndefined()
      const after = await start(verified, 'after verifying')
      expect(await listed(verified)).toEqual([after])
      expect(await listed(await unverifiedSession(server, app.appId, { userId: 'grace' }, unverified.user.device_id))).toEqual([before])
    })
  })
})
