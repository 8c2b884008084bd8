import { createHmac } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIAGNOSIS_ADVICE } from '../src/diagnosis/diagnosis-advice.js'
import { BACKENDS, startBackendServer } from './support/backends.js'
import { hmacHex } from './support/hmac.js'
import { epochSeconds, signHs256 } from './support/identity-token.js'
import { addTeammate, apiToken, TEST_SCRYPT_ENV } from './support/teammates.js'
import type { TestServer } from './support/test-server.js'
import { within } from './support/within.js'

type CreatedApp = Awaited<ReturnType<TestServer['createApp']>>

describe.each(BACKENDS)('POST …/test-proof: the proof tester (%s)', (backend) => {
  let server: TestServer
  let app: CreatedApp
  let other: CreatedApp
  const test = (body: unknown, platform = 'web', appId = app.appId) =>
    server.admin('POST', `/admin/v1/apps/${appId}/platforms/${platform}/test-proof`, body)

  beforeAll(async () => {
    // A low failure limit, so that a tester that counted failures would lock the user out.
    server = await startBackendServer(backend, { ...TEST_SCRYPT_ENV, VERITY_FAILURE_LIMIT: '2' })
    app = await server.createApp('Tested')
    other = await server.createApp('Other')
  })
  afterAll(() => server?.close())

  it('says Verified for a valid user hash, over the user id or over the email alone', async () => {
    for (const body of [
      { user_id: 'u-1', user_hash: hmacHex(app.secrets.web, 'u-1') },
      { email: 'ana@example.com', user_hash: hmacHex(app.secrets.web, 'ana@example.com') },
      { user_id: 'u-1', email: 'ana@example.com', user_hash: hmacHex(app.secrets.web, 'u-1').toUpperCase() },
    ]) {
      const res = await test(body)
      expect(res.status, JSON.stringify(res.body)).toBe(200)
      expect(res.body.verified).toBe(true)
      expect(res.body.diagnosis).toBeNull()
      expect(res.body.advice).toMatch(/valid for this platform/)
    }
  })

  it('says Verified for a valid identity token', async () => {
    const token = signHs256(app.secrets.ios, { user_id: 'u-7', exp: epochSeconds(300) })
    const res = await test({ identity_token: token }, 'ios')
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body).toMatchObject({ verified: true, diagnosis: null })
  })

  it('names the mistake and says what to do, with the advice the failure log and verity verify use', async () => {
    const A = app.secrets
    const sha1 = createHmac('sha1', A.web).update('u-2').digest('hex')
    const cases: [body: Record<string, unknown>, diagnosis: string, platform?: string][] = [
      [{ user_id: 'u-2', user_hash: hmacHex(A.ios, 'u-2') }, 'other_platform_secret'],
      [{ user_id: 'u-2', user_hash: hmacHex(other.secrets.web, 'u-2') }, 'other_app_secret'],
      [{ user_id: 'u-2', user_hash: hmacHex(app.appId, 'u-2') }, 'app_id_as_key'],
      [{ user_id: 'u-2', email: 'b@example.com', user_hash: hmacHex(A.web, 'b@example.com') }, 'email_hashed_instead_of_user_id'],
      [{ user_id: 'u-2', user_hash: hmacHex('u-2', A.web) }, 'key_and_message_swapped'],
      [{ user_id: 'u-2', user_hash: hmacHex(A.web, 'u-2\n') }, 'identifier_whitespace'],
      [{ user_id: 'User-2', user_hash: hmacHex(A.web, 'user-2') }, 'identifier_case'],
      [{ user_id: 'u-2', user_hash: createHmac('sha256', A.web).update('u-2').digest('base64') }, 'base64_instead_of_hex'],
      [{ user_id: 'u-2', user_hash: sha1 }, 'wrong_algorithm'],
      [{ user_id: 'u-2', user_hash: 'not-a-hash' }, 'malformed_hash'],
      [{ user_id: 'u-2' }, 'no_proof'],
      [{ identity_token: signHs256(A.web, { user_id: 'u-2', exp: epochSeconds(-3600) }) }, 'expired_identity_token'],
      [{ identity_token: signHs256(A.android, { user_id: 'u-2', exp: epochSeconds(300) }) }, 'other_platform_secret'],
    ]
    for (const [body, diagnosis, platform] of cases) {
      const res = await test(body, platform)
      expect(res.status, `${diagnosis}: ${JSON.stringify(res.body)}`).toBe(200)
      expect(res.body.verified, diagnosis).toBe(false)
      expect(res.body.diagnosis, JSON.stringify(body)).toBe(diagnosis)
      if (diagnosis !== 'no_proof') expect(res.body.advice).toBe(`${DIAGNOSIS_ADVICE[diagnosis as 'unknown'].found} What to do: ${DIAGNOSIS_ADVICE[diagnosis as 'unknown'].fix}`)
      else expect(res.body.advice).toMatch(/No user hash or identity token/)
      // Nothing in the reply is a secret.
      for (const secret of [...Object.values(app.secrets), ...Object.values(other.secrets)]) expect(JSON.stringify(res.body)).not.toContain(secret)
    }
    const unreadable = await test({ identity_token: 'abc' })
    expect(unreadable.body).toMatchObject({ verified: false, diagnosis: 'unknown' })
    expect(unreadable.body.advice).toMatch(/not a readable JWT/)
  })

  it('refuses bad input with 400 invalid_request, an unknown app or platform with 404 app_not_found or not_found, an agent with 403 forbidden', async () => {
    const bad: unknown[] = [
      {},
      { user_hash: 'abc' },
      { user_id: 'u', user_hash: 'a', identity_token: 'b' },
      { user_id: 'u', identity_token: 'a.b.c' },
      { user_id: 42, user_hash: 'a' },
      { user_id: '', user_hash: 'a' },
      { user_id: 'a\u0000b', user_hash: 'a' },
      { user_id: 'u', user_hash: 'a'.repeat(513) },
      { user_id: 'u', app_id: app.appId },
      [],
      'text',
    ]
    for (const body of bad) {
      const res = await test(body)
      expect(res.status, JSON.stringify(body)).toBe(400)
      expect(res.body.error.code).toBe('invalid_request')
    }
    const unknown = await test({ user_id: 'u' }, 'web', 'app_doesnotexist')
    expect(unknown.status).toBe(404)
    expect(unknown.body.error.code).toBe('app_not_found')
    const platform = await test({ user_id: 'u' }, 'windows')
    expect(platform.status).toBe(404)
    expect(platform.body.error.code).toBe('not_found')

    const agent = await apiToken(server, await addTeammate(server, 'agent@example.com', 'agent'), 'agent')
    const refused = await server.request('POST', `/admin/v1/apps/${app.appId}/platforms/web/test-proof`, { token: agent, body: { user_id: 'u' } })
    expect(refused.status).toBe(403)
    expect(refused.body.error.code).toBe('forbidden')
  })

  it('records nothing: no statistics, no failure, no last-used time, no alert, no audit event, no failure-limit count', async () => {
    const fresh = await server.createApp('Untouched')
    const S = fresh.secrets
    const auditBefore = (await server.admin('GET', `/admin/v1/audit-log?app_id=${fresh.appId}`)).body.events.length
    const alertsBefore = (await server.admin('GET', '/admin/v1/alerts')).body.alerts.length
    await server.admin('PATCH', `/admin/v1/apps/${fresh.appId}/platforms/web`, { enforced: true })
    // Valid, invalid and missing proofs, many times over the failure limit of 2, and the secret
    // itself as the hash (which on the messenger path raises secret.exposed).
    for (let i = 0; i < 6; i++) {
      for (const body of [
        { user_id: 'quiet', user_hash: hmacHex(S.web, 'quiet') },
        { user_id: 'quiet', user_hash: hmacHex(S.ios, 'quiet') },
        { user_id: 'quiet', user_hash: S.web },
        { user_id: 'quiet' },
      ]) {
        expect((await test(body, 'web', fresh.appId)).status).toBe(200)
      }
    }
    // The same user with a wrong hash on the messenger path: refused 401 (not 429), so the tests did
    // not count towards the failure limit.
    const real = await server.request('POST', '/v1/messenger/auth', { body: { app_id: fresh.appId, platform: 'web', user_id: 'quiet', user_hash: hmacHex(S.ios, 'quiet') } })
    expect(real.status).toBe(401)
    expect(real.body.error.code).toBe('user_hash_invalid')
    // That real attempt is recorded; once it shows, the tests before it would have too.
    await within(5_000, 'the real attempt reaches the rollout', async () => (await server.admin('GET', `/admin/v1/apps/${fresh.appId}/platforms/web/rollout`)).body.totals.users === 1)
    const rollout = (await server.admin('GET', `/admin/v1/apps/${fresh.appId}/platforms/web/rollout`)).body
    expect(rollout.totals).toEqual({ users: 1, verified: 0, missing: 0, invalid: 1 })
    await within(5_000, 'the real failure is logged', async () => (await server.admin('GET', `/admin/v1/apps/${fresh.appId}/failures`)).body.failures.length >= 1)
    const failures = (await server.admin('GET', `/admin/v1/apps/${fresh.appId}/failures`)).body.failures
    expect(failures).toHaveLength(1)
    const appView = (await server.admin('GET', `/admin/v1/apps/${fresh.appId}`)).body.app
    for (const platform of ['web', 'ios', 'android']) expect(appView.platforms[platform].secrets.map((s: { last_used_at: unknown }) => s.last_used_at)).toEqual([null])
    expect((await server.admin('GET', '/admin/v1/alerts')).body.alerts).toHaveLength(alertsBefore)
    // The enforcement is the one audited change.
    expect((await server.admin('GET', `/admin/v1/audit-log?app_id=${fresh.appId}`)).body.events).toHaveLength(auditBefore + 1)
  })
})
