// logout leaves nothing of the previous user behind: not in memory, not in storage, not on the
// wire. Only the device id stays (it belongs to the device, not to the user).
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'

import { createMessenger, type VerityError } from '../src/index.js'
import { hmacHex, inspectableStorage, recordingFetch, BACKENDS, startBackendServer, type TestServer } from './support.js'

describe.each(BACKENDS)('messenger SDK logout (%s)', (backend) => {
  let server: TestServer

  beforeAll(async () => {
    server = await startBackendServer(backend)
  })
  afterAll(async () => {
    await server?.close()
  })

  async function setup(enforced = false) {
    const { appId, secrets } = await server.createApp()
    if (enforced) await server.admin('PATCH', `/admin/v1/apps/${appId}/platforms/web`, { enforced: true })
    const recorder = recordingFetch()
    const storage = inspectableStorage()
    const messenger = createMessenger({ baseUrl: server.url, appId, platform: 'web', fetch: recorder.fetch, storage })
    return { appId, secrets, recorder, storage, messenger }
  }

  describe('logout', () => {
    it('forgets the token, the user and the hash; storage keeps the device id only', async () => {
      const { appId, secrets, recorder, storage, messenger } = await setup()
      await messenger.registerIdentifiedUser({ userId: 'alice', email: 'alice@example.com' })
      await messenger.setUserHash(hmacHex(secrets.web, 'alice'))
      expect(messenger.user).toMatchObject({ userId: 'alice', verified: true })
      const deviceId = storage.map.get(`verity:${appId}:device_id`)

      await messenger.logout()
      expect(messenger.user).toBeNull()
      expect([...storage.map.entries()]).toEqual([[`verity:${appId}:device_id`, deviceId]])
      const calls = recorder.calls.length
      await expect(messenger.conversations.list()).rejects.toMatchObject({ code: 'token_missing' })
      expect(recorder.calls.length).toBe(calls)

      // Alice's hash is gone: Bob registers without it, on the same device.
      await messenger.registerIdentifiedUser({ userId: 'bob' })
      expect(messenger.user).toEqual({ userId: 'bob', email: null, anonymous: false, verified: false })
      const last = recorder.authBodies().at(-1)
      expect(last).not.toHaveProperty('user_hash')
      expect(last).toMatchObject({ user_id: 'bob', device_id: deviceId })
    })

    it('drops a registration that waits for its hash', async () => {
      const { secrets, recorder, messenger } = await setup(true)
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
      try {
        await messenger.registerIdentifiedUser({ userId: 'alice' })
        await messenger.logout()
        const calls = recorder.calls.length
        await messenger.setUserHash(hmacHex(secrets.web, 'alice'))
        expect(recorder.calls.length).toBe(calls)
        expect(messenger.user).toBeNull()
        const error: VerityError = await messenger.conversations.list().then(() => null as never, (e) => e)
        expect(error.code).toBe('token_missing')
      } finally {
        warn.mockRestore()
      }
    })

    it('waits for a login still in flight, then forgets it', async () => {
      const { secrets, messenger } = await setup()
      const login = messenger.login({ userId: 'alice', userHash: hmacHex(secrets.web, 'alice') })
      await messenger.logout()
      await login
      expect(messenger.user).toBeNull()
    })
  })
})
