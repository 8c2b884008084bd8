import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AttemptOutcome } from '../src/verification/auth-events.js'
import { hmacHex } from './support/hmac.js'
import { BACKENDS, startBackendServer } from './support/backends.js'
import type { TestServer } from './support/test-server.js'

/*
 * The daily series behind the rollout chart, over HTTP. Today's attempts go through the real
 * route; earlier days through the statistics writer with their time (the buffer the route feeds).
 * Expected numbers are written out by hand.
 */

const DAY = 86_400_000
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10)

describe.each(BACKENDS)('rollout daily series (%s)', (backend) => {
  let server: TestServer
  let app: Awaited<ReturnType<TestServer['createApp']>>
  const path = (query = '', platform = 'ios') => `/admin/v1/apps/${app.appId}/platforms/${platform}/rollout/daily${query}`
  // Noon UTC of `daysAgo` days before today, plus minutes: never tomorrow, never the wrong day.
  const noon = (daysAgo: number, minutes = 0) => Date.parse(`${dayOf(Date.now() - daysAgo * DAY)}T00:00:00.000Z`) + Math.min(12 * 60 + minutes, 23 * 60) * 60_000

  const past = (userId: string, at: number, outcome: AttemptOutcome, appVersion = '2.0.0') =>
    server.running.events.attempt({ at, appId: app.appId, platform: 'ios', identity: { userId, email: null }, outcome, secretId: outcome === 'verified' ? app.secretIds.ios : null, appVersion, sdkVersion: null })

  beforeAll(async () => {
    server = await startBackendServer(backend)
    app = await server.createApp('Daily')
    // Three days ago: u1 missing then verified (verified that day), u2 invalid, u3 verified then
    // missing (a proof that day outlives it: verified).
    past('u1', noon(3), 'missing')
    past('u2', noon(3), 'invalid')
    past('u3', noon(3), 'verified')
    await server.running.events.flush()
    past('u1', noon(3, 5), 'verified')
    past('u3', noon(3, 5), 'missing')
    await server.running.events.flush()
    // Yesterday: u1 missing only (yesterday's latest, and no proof that day), u2 invalid then missing.
    past('u1', noon(1), 'missing')
    past('u2', noon(1), 'invalid')
    await server.running.events.flush()
    past('u2', noon(1, 5), 'missing')
    await server.running.events.flush()
    // Today, over HTTP: u2 proves it, u4 sends nothing; anonymous visitors are not counted.
    const auth = (body: Record<string, unknown>) => server.request('POST', '/v1/messenger/auth', { body: { app_id: app.appId, platform: 'ios', ...body } })
    expect((await auth({ user_id: 'u2', user_hash: hmacHex(app.secrets.ios, 'u2') })).status).toBe(200)
    expect((await auth({ user_id: 'u4' })).status).toBe(200)
    expect((await auth({})).status).toBe(200)
    await server.running.events.flush()
  })
  afterAll(() => server?.close())

  it('answers every UTC day of the window, oldest first, each user once a day', async () => {
    const res = await server.admin('GET', path('?days=5'))
    expect(res.status).toBe(200)
    const zero = { users: 0, verified: 0, missing: 0, invalid: 0 }
    expect(res.body).toEqual({
      days: [
        { date: dayOf(Date.now() - 4 * DAY), ...zero },
        { date: dayOf(Date.now() - 3 * DAY), users: 3, verified: 2, missing: 0, invalid: 1 },
        { date: dayOf(Date.now() - 2 * DAY), ...zero },
        { date: dayOf(Date.now() - DAY), users: 2, verified: 0, missing: 2, invalid: 0 },
        { date: dayOf(Date.now()), users: 2, verified: 1, missing: 1, invalid: 0 },
      ],
    })
  })

  it('defaults to 30 days, today last; another platform has its own series', async () => {
    const month = await server.admin('GET', path())
    expect(month.status).toBe(200)
    expect(month.body.days).toHaveLength(30)
    expect(month.body.days.at(-1).date).toBe(dayOf(Date.now()))
    expect(month.body.days.reduce((n: number, d: { users: number }) => n + d.users, 0)).toBe(7)
    const web = await server.admin('GET', path('?days=2', 'web'))
    expect(web.body.days.map((d: { users: number }) => d.users)).toEqual([0, 0])
  })

  it('refuses a bad window, an unknown app or platform, and callers without the admin key', async () => {
    for (const query of ['?days=0', '?days=91', '?days=1.5', '?days=week', '?window=7']) {
      const res = await server.admin('GET', path(query))
      expect([res.status, res.body.error.code], query).toEqual([400, 'invalid_request'])
    }
    const unknownApp = await server.admin('GET', `/admin/v1/apps/app_00000000000000000000000000/platforms/ios/rollout/daily`)
    expect([unknownApp.status, unknownApp.body.error.code]).toEqual([404, 'app_not_found'])
    const unknownPlatform = await server.admin('GET', path('', 'desktop'))
    expect(unknownPlatform.status).toBe(404)
    const anonymous = await server.request('GET', path())
    expect([anonymous.status, anonymous.body.error.code]).toEqual([401, 'unauthorized'])
  })
})
