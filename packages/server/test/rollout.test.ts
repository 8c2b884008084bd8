import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hmacHex } from './support/hmac.js'
import { epochSeconds, signHs256 } from './support/identity-token.js'
import { BACKENDS, startBackendServer } from './support/backends.js'
import type { TestServer } from './support/test-server.js'

/*
 * A realistic mix of traffic over HTTP, then every number of the rollout answer. The expected
 * numbers are written out by hand from the traffic below, not computed by the code under test.
 */

describe.each(BACKENDS)('rollout (%s)', (backend) => {
  let server: TestServer
  let app: Awaited<ReturnType<TestServer['createApp']>>
  let s2: { id: string; value: string }
  let s3: { id: string; value: string }
  let s4: { id: string; value: string }
  let startedAt: string
  let trafficDoneAt: string
  const OLD_LAST_AT = new Date(Date.now() - 10 * 86_400_000).toISOString()

  const rolloutPath = (platform: string, query = '') => `/admin/v1/apps/${app.appId}/platforms/${platform}/rollout${query}`
  const randomHex = () => randomBytes(32).toString('hex')

  async function auth(body: Record<string, unknown>): Promise<void> {
    const res = await server.request('POST', '/v1/messenger/auth', { body: { app_id: app.appId, platform: 'ios', sdk_version: '1.4.0', ...body } })
    // Nothing is enforced here: every attempt is let in, and only the statistics tell them apart.
    expect(res.status, JSON.stringify(res.body)).toBe(200)
  }

  const byUserId = (userId: string, secret: string, appVersion: string | undefined) =>
    auth({ user_id: userId, user_hash: hmacHex(secret, userId), ...(appVersion !== undefined && { app_version: appVersion }) })

  beforeAll(async () => {
    server = await startBackendServer(backend)
    app = await server.createApp('Rollout')
    const rotate = async () => (await server.admin('POST', `/admin/v1/apps/${app.appId}/platforms/ios/secrets`)).body.secret as { id: string; value: string }
    s2 = await rotate()
    s3 = await rotate()
    s4 = await rotate()
    const s1 = app.secrets.ios
    startedAt = new Date().toISOString()

    // 1.9.0 predates the hash: three users send none.
    for (const id of ['old-1', 'old-2', 'old-3']) await auth({ user_id: id, app_version: '1.9.0' })
    // 2.3.0 sends hashes: four with the first secret, two with the rotated second one.
    for (const id of ['a-1', 'a-2', 'a-3', 'a-4']) await byUserId(id, s1, '2.3.0')
    for (const id of ['b-1', 'b-2']) await byUserId(id, s2.value, '2.3.0')
    // An email-identified user, and a user whose user_id is that same email: two different users.
    await auth({ email: 'erin@example.com', user_hash: hmacHex(s1, 'erin@example.com'), app_version: '2.3.0' })
    await auth({ user_id: 'erin@example.com', app_version: '2.3.0' })
    // Invalid proofs: garbage, and the web secret on iOS.
    await auth({ user_id: 'bad-1', user_hash: randomHex(), app_version: '2.3.0' })
    await auth({ user_id: 'bad-2', user_hash: hmacHex(app.secrets.web, 'bad-2'), app_version: '2.3.0' })
    // The latest attempt counts (an upgrade, a fix), except that a valid proof in the window is not
    // undone by attempts without one: anyone could send those in down-1's name.
    await auth({ user_id: 'up-1', app_version: '1.9.0' })
    await byUserId('up-1', s2.value, '2.3.0')
    await auth({ user_id: 'fix-1', user_hash: randomHex(), app_version: '2.3.0' })
    await byUserId('fix-1', s1, '2.3.0')
    await byUserId('down-1', s1, '2.3.0')
    await auth({ user_id: 'down-1', app_version: '1.9.0' })
    await auth({ user_id: 'down-1', user_hash: randomHex(), app_version: '0.0.1-junk' })
    // An identity token signed with the second secret.
    await auth({ identity_token: signHs256(s2.value, { user_id: 'jwt-1', exp: epochSeconds(300) }), app_version: '2.3.0' })
    // A user verified with the fourth secret, which is then revoked: still listed, since still used.
    await byUserId('rev-1', s4.value, '2.3.0')
    // No app_version at all.
    await byUserId('nv-1', s1, undefined)
    await auth({ user_id: 'nv-2' })
    await auth({ user_id: 'nv-3', user_hash: randomHex() })
    // Anonymous visitors are not identified users: not counted.
    await auth({ app_version: '2.3.0' })
    await auth({ app_version: '1.9.0' })
    // The same users on another platform count there, and only there.
    await server.request('POST', '/v1/messenger/auth', { body: { app_id: app.appId, platform: 'android', user_id: 'a-1', app_version: '1.9.0' } })
    await server.request('POST', '/v1/messenger/auth', {
      body: { app_id: app.appId, platform: 'android', user_id: 'old-1', user_hash: hmacHex(app.secrets.android, 'old-1'), app_version: '2.3.0' },
    })
    await server.running.events.flush()
    trafficDoneAt = new Date().toISOString()

    expect((await server.admin('DELETE', `/admin/v1/apps/${app.appId}/platforms/ios/secrets/${s4.id}`)).status).toBe(204)
    // Ten days ago, outside the default window: through the statistics writer, with that time.
    server.running.events.attempt({
      at: Date.parse(OLD_LAST_AT),
      appId: app.appId,
      platform: 'ios',
      identity: { userId: 'seen-ten-days-ago', email: null },
      outcome: 'missing',
      secretId: null,
      appVersion: '1.0.0',
      sdkVersion: '1.0.0',
    })
    await server.running.events.flush()
  })
  afterAll(() => server?.close())

  const recent = expect.any(String)
  const inTraffic = (value: unknown) => typeof value === 'string' && value >= startedAt && value <= trafficDoneAt

  describe('GET .../platforms/{platform}/rollout', () => {
    it('counts each user once: verified if they proved it in the last 7 days, else under their latest attempt', async () => {
      const res = await server.admin('GET', rolloutPath('ios'))
      expect(res.status).toBe(200)
      expect(res.body).toEqual({
        window_days: 7,
        // down-1 counts as verified on 2.3.0: the unproven attempts after the proof change nothing.
        totals: { users: 21, verified: 13, missing: 5, invalid: 3 },
        versions: [
          { app_version: '2.3.0', users: 15, verified: 12, missing: 1, invalid: 2, last_seen_at: recent },
          { app_version: '1.9.0', users: 3, verified: 0, missing: 3, invalid: 0, last_seen_at: recent },
          { app_version: null, users: 3, verified: 1, missing: 1, invalid: 1, last_seen_at: recent },
        ],
        secrets: expect.any(Array),
        forecast: { would_be_refused: 8, app_versions: ['2.3.0', '1.9.0', null] },
      })
      for (const version of res.body.versions) expect(inTraffic(version.last_seen_at), version.last_seen_at).toBe(true)
    })

    it('gives each secret the users whose latest valid proof in the window it verified, with its last use', async () => {
      const { secrets } = (await server.admin('GET', rolloutPath('ios'))).body
      const byId = Object.fromEntries(secrets.map((s: { id: string }) => [s.id, s]))
      expect(Object.keys(byId).sort()).toEqual([app.secretIds.ios, s2.id, s3.id, s4.id].sort())
      expect(byId[app.secretIds.ios].users).toBe(8) // a-1..4, erin by email, fix-1, nv-1, down-1
      expect(byId[s2.id].users).toBe(4) // b-1, b-2, up-1, jwt-1
      expect(byId[s3.id]).toEqual({ id: s3.id, users: 0, last_used_at: null }) // rotated in, never used yet
      expect(byId[s4.id].users).toBe(1) // revoked, and rev-1 still used it last
      for (const id of [app.secretIds.ios, s2.id, s4.id]) expect(inTraffic(byId[id].last_used_at), byId[id].last_used_at).toBe(true)
      // Sums to the verified users: every verified attempt names its secret.
      expect(secrets.reduce((sum: number, s: { users: number }) => sum + s.users, 0)).toBe(13)
    })

    it('counts the same user separately on each platform', async () => {
      const res = await server.admin('GET', rolloutPath('android'))
      expect(res.status).toBe(200)
      expect(res.body).toEqual({
        window_days: 7,
        totals: { users: 2, verified: 1, missing: 1, invalid: 0 },
        versions: [
          { app_version: '1.9.0', users: 1, verified: 0, missing: 1, invalid: 0, last_seen_at: recent },
          { app_version: '2.3.0', users: 1, verified: 1, missing: 0, invalid: 0, last_seen_at: recent },
        ],
        secrets: [{ id: app.secretIds.android, users: 1, last_used_at: recent }],
        forecast: { would_be_refused: 1, app_versions: ['1.9.0'] },
      })
      const web = await server.admin('GET', rolloutPath('web'))
      expect(web.body).toEqual({
        window_days: 7,
        totals: { users: 0, verified: 0, missing: 0, invalid: 0 },
        versions: [],
        secrets: [{ id: app.secretIds.web, users: 0, last_used_at: null }],
        forecast: { would_be_refused: 0, app_versions: [] },
      })
    })

    it('takes the window from ?days: an attempt 10 days old counts in 30 days, not in 7 or 9', async () => {
      const month = await server.admin('GET', rolloutPath('ios', '?days=30'))
      expect(month.status).toBe(200)
      expect(month.body.window_days).toBe(30)
      expect(month.body.totals).toEqual({ users: 22, verified: 13, missing: 6, invalid: 3 })
      expect(month.body.versions.map((v: { app_version: string | null; users: number }) => [v.app_version, v.users])).toEqual([
        ['2.3.0', 15],
        ['1.9.0', 3],
        [null, 3],
        ['1.0.0', 1],
      ])
      expect(month.body.versions[3]).toEqual({ app_version: '1.0.0', users: 1, verified: 0, missing: 1, invalid: 0, last_seen_at: OLD_LAST_AT })
      expect(month.body.forecast).toEqual({ would_be_refused: 9, app_versions: ['2.3.0', '1.9.0', null, '1.0.0'] })

      const nine = await server.admin('GET', rolloutPath('ios', '?days=9'))
      expect(nine.body.totals.users).toBe(21)
      expect(nine.body.window_days).toBe(9)
    })

    it('PATCH on a platform answers the forecast beside the platform', async () => {
      const on = await server.admin('PATCH', `/admin/v1/apps/${app.appId}/platforms/ios`, { enforced: true })
      expect(on.status).toBe(200)
      expect(on.body.platform.enforced).toBe(true)
      expect(on.body.forecast).toEqual({ would_be_refused: 8, app_versions: ['2.3.0', '1.9.0', null] })
      const off = await server.admin('PATCH', `/admin/v1/apps/${app.appId}/platforms/ios`, { enforced: false })
      expect(off.status).toBe(200)
      expect(off.body).toEqual({ platform: { enforced: false, secrets: expect.any(Array) }, forecast: on.body.forecast })
    })

    it('refuses a bad window, an unknown app or platform, and callers without the admin key', async () => {
      for (const query of ['?days=0', '?days=91', '?days=1.5', '?days=week', '?window=7']) {
        const res = await server.admin('GET', rolloutPath('ios', query))
        expect(res.status, query).toBe(400)
        expect(res.body.error.code, query).toBe('invalid_request')
      }
      const unknownApp = await server.admin('GET', '/admin/v1/apps/app_00000000000000000000000000/platforms/ios/rollout')
      expect(unknownApp.status).toBe(404)
      expect(unknownApp.body.error.code).toBe('app_not_found')
      const unknownPlatform = await server.admin('GET', rolloutPath('windows'))
      expect(unknownPlatform.status).toBe(404)
      expect(unknownPlatform.body.error.code).toBe('not_found')
      const anonymous = await server.request('GET', rolloutPath('ios'))
      expect(anonymous.status).toBe(401)
      expect(anonymous.body.error.code).toBe('unauthorized')
    })

    it('is described in the OpenAPI document', async () => {
      const doc = (await server.request('GET', '/openapi.json')).body
      expect(doc.paths['/admin/v1/apps/{app_id}/platforms/{platform}/rollout'].get.parameters.map((p: { name: string }) => p.name)).toEqual(['app_id', 'platform', 'days'])
      expect(doc.paths['/admin/v1/apps/{app_id}/failures'].get.parameters.map((p: { name: string }) => p.name).sort()).toEqual(['app_id', 'cursor', 'limit', 'platform'])
    })
  })

  describe('poisoning: attempts without a proof in a real user\'s name', () => {
    let victimApp: Awaited<ReturnType<TestServer['createApp']>>
    const path = (query = '') => `/admin/v1/apps/${victimApp.appId}/platforms/web/rollout${query}`
    const webAuth = (body: Record<string, unknown>) => server.request('POST', '/v1/messenger/auth', { body: { app_id: victimApp.appId, platform: 'web', ...body } })
    beforeAll(async () => {
      victimApp = await server.createApp('Poisoned')
    })

    it('do not undo a valid proof in the window; a later valid proof still moves the user', async () => {
      expect((await webAuth({ user_id: 'ceo', user_hash: hmacHex(victimApp.secrets.web, 'ceo'), app_version: '3.0.0' })).body.user.verified).toBe(true)
      // Anyone can send these, as often as the limits let them.
      for (let i = 0; i < 20; i++) {
        expect((await webAuth({ user_id: 'ceo', app_version: '0.0.1' })).status).toBe(200)
        expect((await webAuth({ user_id: 'ceo', user_hash: randomHex(), app_version: '0.0.2' })).status).toBe(200)
      }
      await server.running.events.flush()
      const poisoned = (await server.admin('GET', path())).body
      expect(poisoned.totals).toEqual({ users: 1, verified: 1, missing: 0, invalid: 0 })
      expect(poisoned.versions).toEqual([{ app_version: '3.0.0', users: 1, verified: 1, missing: 0, invalid: 0, last_seen_at: recent }])
      expect(poisoned.secrets).toEqual([{ id: victimApp.secretIds.web, users: 1, last_used_at: recent }])
      expect(poisoned.forecast).toEqual({ would_be_refused: 0, app_versions: [] })

      // The user's own next proof, on a new version with a rotated secret, is what counts now.
      const rotated = (await server.admin('POST', `/admin/v1/apps/${victimApp.appId}/platforms/web/secrets`)).body.secret as { id: string; value: string }
      expect((await webAuth({ user_id: 'ceo', user_hash: hmacHex(rotated.value, 'ceo'), app_version: '3.1.0' })).body.user.verified).toBe(true)
      await server.running.events.flush()
      const moved = (await server.admin('GET', path())).body
      expect(moved.versions.map((v: { app_version: string; verified: number }) => [v.app_version, v.verified])).toEqual([['3.1.0', 1]])
      expect(moved.secrets.map((s: { id: string; users: number }) => [s.id, s.users]).sort()).toEqual([[victimApp.secretIds.web, 0], [rotated.id, 1]].sort())
    })

    it('count again once the proof is older than the window', async () => {
      // Proven twelve days ago, then only unproven attempts, the latest two days ago.
      const day = 86_400_000
      const attempt = (daysAgo: number, outcome: 'verified' | 'missing', appVersion: string, secretId: string | null) =>
        server.running.events.attempt({ at: Date.now() - daysAgo * day, appId: victimApp.appId, platform: 'web', identity: { userId: 'lapsed-user', email: null }, outcome, secretId, appVersion, sdkVersion: null })
      attempt(12, 'verified', '2.0.0', victimApp.secretIds.web)
      await server.running.events.flush()
      attempt(2, 'missing', '1.0.0', null)
      await server.running.events.flush()
      const week = (await server.admin('GET', path())).body
      expect(week.versions.find((v: { app_version: string }) => v.app_version === '1.0.0')).toMatchObject({ users: 1, missing: 1 })
      expect(week.forecast).toEqual({ would_be_refused: 1, app_versions: ['1.0.0'] })
      const month = (await server.admin('GET', path('?days=30'))).body
      expect(month.versions.find((v: { app_version: string }) => v.app_version === '2.0.0')).toMatchObject({ users: 1, verified: 1 })
      expect(month.forecast).toEqual({ would_be_refused: 0, app_versions: [] })
    })
  })
})
