// login, setUserHash / registerIdentifiedUser in either order, registerUnidentifiedUser, and the
// errors, driven against a real Verity server on each backend (SQLite, PostgreSQL).
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'

import { signIdentityToken } from '../../node/src/index.js'
import { createMessenger, VerityError, type MessengerOptions } from '../src/index.js'
import { hmacHex, inspectableStorage, recordingFetch, BACKENDS, startBackendServer, type TestServer } from './support.js'

describe.each(BACKENDS)('messenger SDK login (%s)', (backend) => {
  let server: TestServer

  beforeAll(async () => {
    server = await startBackendServer(backend)
  })
  afterAll(async () => {
    await server?.close()
  })

  async function app(options: { enforced?: boolean } = {}) {
    const created = await server.createApp()
    if (options.enforced) {
      const res = await server.admin('PATCH', `/admin/v1/apps/${created.appId}/platforms/web`, { enforced: true })
      expect(res.status).toBe(200)
    }
    const recorder = recordingFetch()
    const storage = inspectableStorage()
    const make = (extra: Partial<MessengerOptions> = {}) =>
      createMessenger({ baseUrl: server.url, appId: created.appId, platform: 'web', appVersion: '2.3.0', fetch: recorder.fetch, storage, ...extra })
    return { ...created, recorder, storage, make }
  }

  /** The outcome of an SDK promise: its error, or null when it resolved. */
  async function failure(promise: Promise<unknown>): Promise<VerityError | null> {
    try {
      await promise
      return null
    } catch (error) {
      return error as VerityError
    }
  }

  describe('login', () => {
    it('logs a user in as verified with a hash made from the platform secret', async () => {
      const { secrets, make, recorder } = await app({ enforced: true })
      const messenger = make()
      expect(messenger.user).toBeNull()
      const user = await messenger.login({ userId: '42', email: 'ada@example.com', userHash: hmacHex(secrets.web, '42') })
      expect(user).toEqual({ userId: '42', email: 'ada@example.com', anonymous: false, verified: true })
      expect(messenger.user).toEqual(user)
      expect(recorder.authBodies()).toEqual([
        expect.objectContaining({ user_id: '42', email: 'ada@example.com', platform: 'web', app_version: '2.3.0', sdk_version: '0.1.0' }),
      ])
    })

    it('rejects a wrong hash on an enforced platform with VerityError user_hash_invalid', async () => {
      const { secrets, make } = await app({ enforced: true })
      const messenger = make()
      const error = await failure(messenger.login({ userId: '42', userHash: hmacHex(secrets.ios, '42') }))
      expect(error).toBeInstanceOf(VerityError)
      expect(error).toMatchObject({ name: 'VerityError', code: 'user_hash_invalid', status: 401 })
      expect(messenger.user).toBeNull()
    })

    it('rejects a missing hash on an enforced platform with user_hash_missing', async () => {
      const { make } = await app({ enforced: true })
      const error = await failure(make().login({ userId: '42' }))
      expect(error).toMatchObject({ code: 'user_hash_missing', status: 401 })
    })

    it('lets a user with a wrong hash in unverified where the platform is not enforced', async () => {
      const { make } = await app()
      const user = await make().login({ userId: '42', userHash: 'ab'.repeat(32) })
      expect(user).toEqual({ userId: '42', email: null, anonymous: false, verified: false })
    })

    it('logs a visitor in anonymously and keeps the device id it was given', async () => {
      const { make, recorder, storage, appId } = await app()
      const messenger = make()
      expect(await messenger.login()).toEqual({ userId: null, email: null, anonymous: true, verified: false })
      const deviceId = storage.map.get(`verity:${appId}:device_id`)
      expect(deviceId).toMatch(/.{16,}/)
      await messenger.registerUnidentifiedUser()
      expect(recorder.authBodies()[1]).toMatchObject({ device_id: deviceId })
      expect(storage.map.get(`verity:${appId}:device_id`)).toBe(deviceId)
    })

    it('refuses a misspelt field instead of logging the user in anonymously', async () => {
      const { make, recorder } = await app()
      const error = await failure(make().login({ user_id: '42' } as never))
      expect(error).toMatchObject({ code: 'invalid_request' })
      expect(error?.message).toContain('user_id')
      expect(recorder.calls).toEqual([])
    })

    it('passes the server’s own 400 through for a value it refuses', async () => {
      const { make } = await app()
      const error = await failure(make().login({ userId: '' }))
      expect(error).toMatchObject({ code: 'invalid_request', status: 400 })
    })

    it('rejects an unknown app with app_not_found, and an unreachable server with network_error', async () => {
      const unknown = createMessenger({ baseUrl: server.url, appId: 'app_nope', platform: 'web' })
      expect(await failure(unknown.login())).toMatchObject({ code: 'app_not_found', status: 404 })
      const nowhere = createMessenger({ baseUrl: 'http://127.0.0.1:9', appId: 'x', platform: 'web' })
      expect(await failure(nowhere.login())).toMatchObject({ code: 'network_error', status: 0 })
    })

    it('logs in with an identity token signed by @verity/node', async () => {
      const { secrets, secretIds, make, recorder } = await app({ enforced: true })
      const identityToken = signIdentityToken(secrets.web, { userId: '7', email: 'grace@example.com', attributes: { plan: 'pro' } }, { expiresIn: 300, keyId: secretIds.web })
      const user = await make().login({ identityToken })
      expect(user).toEqual({ userId: '7', email: 'grace@example.com', anonymous: false, verified: true })
      expect(recorder.authBodies()[0]).not.toHaveProperty('user_id')
    })

    it('rejects an identity token signed with another platform’s secret on an enforced platform', async () => {
      const { secrets, make } = await app({ enforced: true })
      const identityToken = signIdentityToken(secrets.android, { userId: '7' }, { expiresIn: 300 })
      expect(await failure(make().login({ identityToken }))).toMatchObject({ code: 'user_hash_invalid' })
    })
  })

  describe('setUserHash and registerIdentifiedUser (Intercom style)', () => {
    it('verifies when the hash comes first, on an enforced platform', async () => {
      const { secrets, make } = await app({ enforced: true })
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
      try {
        const messenger = make()
        await messenger.setUserHash(hmacHex(secrets.web, '42'))
        expect(messenger.user).toBeNull()
        await messenger.registerIdentifiedUser({ userId: '42' })
        expect(messenger.user).toEqual({ userId: '42', email: null, anonymous: false, verified: true })
        expect(warn).not.toHaveBeenCalled()
      } finally {
        warn.mockRestore()
      }
    })

    it('keeps the registration pending with one warning when the hash comes second, then completes it', async () => {
      const { secrets, make, recorder } = await app({ enforced: true })
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
      try {
        const messenger = make()
        await messenger.registerIdentifiedUser({ userId: '42', email: 'ada@example.com' })
        await messenger.registerIdentifiedUser({ userId: '42', email: 'ada@example.com' })
        expect(messenger.user).toBeNull()
        expect(warn).toHaveBeenCalledTimes(1)
        expect(String(warn.mock.calls[0]![0])).toContain('setUserHash')
        expect(await failure(messenger.conversations.list())).toMatchObject({ code: 'user_hash_missing' })

        await messenger.setUserHash(hmacHex(secrets.web, '42'))
        expect(messenger.user).toEqual({ userId: '42', email: 'ada@example.com', anonymous: false, verified: true })
        expect(warn).toHaveBeenCalledTimes(1)
        const bodies = recorder.authBodies()
        expect(bodies.map((b) => b.user_hash)).toEqual([undefined, undefined, hmacHex(secrets.web, '42')])
        expect(bodies[2]).toMatchObject({ user_id: '42', email: 'ada@example.com' })
      } finally {
        warn.mockRestore()
      }
    })

    it('needs no awaiting between the two calls, in either order', async () => {
      const { secrets, make } = await app({ enforced: true })
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
      try {
        const first = make()
        void first.registerIdentifiedUser({ userId: '1' })
        await first.setUserHash(hmacHex(secrets.web, '1'))
        expect(first.user).toMatchObject({ userId: '1', verified: true })

        const second = make()
        void second.setUserHash(hmacHex(secrets.web, '2'))
        await second.registerIdentifiedUser({ userId: '2' })
        expect(second.user).toMatchObject({ userId: '2', verified: true })
      } finally {
        warn.mockRestore()
      }
    })

    it('rejects a wrong hash given second with user_hash_invalid, and the registration stays pending', async () => {
      const { secrets, make } = await app({ enforced: true })
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
      try {
        const messenger = make()
        await messenger.registerIdentifiedUser({ userId: '42' })
        expect(await failure(messenger.setUserHash(hmacHex(secrets.web, '43')))).toMatchObject({ code: 'user_hash_invalid' })
        expect(messenger.user).toBeNull()
        await messenger.setUserHash(hmacHex(secrets.web, '42'))
        expect(messenger.user).toMatchObject({ userId: '42', verified: true })
      } finally {
        warn.mockRestore()
      }
    })

    it('starts unverified where the platform is not enforced, and setUserHash upgrades the session', async () => {
      const { secrets, make, recorder, storage, appId } = await app()
      const messenger = make()
      await messenger.registerIdentifiedUser({ userId: '42' })
      expect(messenger.user).toEqual({ userId: '42', email: null, anonymous: false, verified: false })
      const deviceId = storage.map.get(`verity:${appId}:device_id`)
      expect(deviceId).toBeTruthy()

      await messenger.setUserHash(hmacHex(secrets.web, '42'))
      expect(messenger.user).toEqual({ userId: '42', email: null, anonymous: false, verified: true })
      const upgrade = recorder.authBodies()[1]
      expect(upgrade).toMatchObject({ user_id: '42', user_hash: hmacHex(secrets.web, '42'), device_id: deviceId })

      // The same hash again changes nothing and costs no call.
      await messenger.setUserHash(hmacHex(secrets.web, '42'))
      await messenger.registerIdentifiedUser({ userId: '42' })
      expect(recorder.authBodies()).toHaveLength(2)
    })

    it('refuses a registration with no identity, or a misspelt field', async () => {
      const { make } = await app()
      const messenger = make()
      expect(await failure(messenger.registerIdentifiedUser({}))).toMatchObject({ code: 'invalid_request' })
      expect(await failure(messenger.registerIdentifiedUser({ userID: '1' } as never))).toMatchObject({ code: 'invalid_request' })
    })

    it('switching to another user forgets the previous one', async () => {
      const { secrets, make } = await app({ enforced: true })
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
      try {
        const messenger = make()
        await messenger.login({ userId: '1', userHash: hmacHex(secrets.web, '1') })
        await messenger.setUserHash(hmacHex(secrets.web, '2'))
        await messenger.registerIdentifiedUser({ userId: '2' })
        expect(messenger.user).toMatchObject({ userId: '2', verified: true })
        await messenger.registerUnidentifiedUser()
        expect(messenger.user).toEqual({ userId: null, email: null, anonymous: true, verified: false })
        // The hash went with user 2: user 3 waits for their own.
        await messenger.registerIdentifiedUser({ userId: '3' })
        expect(messenger.user).toBeNull()
        expect(warn).toHaveBeenCalledTimes(1)
      } finally {
        warn.mockRestore()
      }
    })
  })
})
