import { createHmac, randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIAGNOSES } from '../src/diagnosis/diagnosis.js'
import { hmacHex } from './support/hmac.js'
import { epochSeconds, signHs256 } from './support/identity-token.js'
import { BACKENDS, startBackendServer } from './support/backends.js'
import type { TestServer } from './support/test-server.js'

type CreatedApp = Awaited<ReturnType<TestServer['createApp']>>
type Response = Awaited<ReturnType<TestServer['request']>>

const mac = (algorithm: string, key: string, message: string) => createHmac(algorithm, key).update(message, 'utf8').digest()
const failuresOf = async (server: TestServer, appId: string, query = '?limit=100') => {
  const res = await server.admin('GET', `/admin/v1/apps/${appId}/failures${query}`)
  expect(res.status, JSON.stringify(res.body)).toBe(200)
  return res.body as { failures: Array<Record<string, unknown>>; next_cursor: string | null }
}
/** Every failure of an app, following next_cursor (a page holds at most 100). */
async function allFailures(server: TestServer, appId: string): Promise<Array<Record<string, unknown>>> {
  const all: Array<Record<string, unknown>> = []
  let cursor: string | null = null
  do {
    const page: Awaited<ReturnType<typeof failuresOf>> = await failuresOf(server, appId, `?limit=100${cursor ? `&cursor=${cursor}` : ''}`)
    all.push(...page.failures)
    cursor = page.next_cursor
  } while (cursor !== null)
  return all
}
const expectError = (res: Response, status: number, code: string) => {
  expect(res.status, JSON.stringify(res.body)).toBe(status)
  expect(res.body.error.code).toBe(code)
}

/** Codes that name a mistake; `unknown` is too common a word to look for in a response. */
const TELLING_CODES = DIAGNOSES.filter((d) => d !== 'unknown')

describe.each(BACKENDS)('each mistake of the diagnosis list, made over HTTP, is named in the failure log (%s)', (backend) => {
  let server: TestServer
  let app: CreatedApp
  let other: CreatedApp
  let active: string
  const responses: Response[] = []

  const auth = async (platform: string, body: Record<string, unknown>) => {
    const res = await server.request('POST', '/v1/messenger/auth', { body: { app_id: app.appId, platform, app_version: '3.1.0', ...body } })
    responses.push(res)
    return res
  }

  /** Each case: what the messenger sends, and what the failure log must say about it. */
  const cases = () => {
    const A = app.secrets
    return [
      { name: 'another platform secret', platform: 'web', body: { user_id: 'op-1', user_hash: hmacHex(A.ios, 'op-1') }, diagnosis: 'other_platform_secret' },
      { name: "another app's secret", platform: 'web', body: { user_id: 'oa-1', user_hash: hmacHex(other.secrets.web, 'oa-1') }, diagnosis: 'other_app_secret' },
      { name: 'a revoked secret', platform: 'web', body: { user_id: 'rv-1', user_hash: hmacHex(A.web, 'rv-1') }, diagnosis: 'revoked_secret' },
      { name: 'the app id as key', platform: 'web', body: { user_id: 'ak-1', user_hash: hmacHex(app.appId, 'ak-1') }, diagnosis: 'app_id_as_key' },
      {
        name: 'the email hashed while a user_id is sent',
        platform: 'web',
        body: { user_id: 'em-1', email: 'em-1@example.com', user_hash: hmacHex(active, 'em-1@example.com') },
        diagnosis: 'email_hashed_instead_of_user_id',
      },
      { name: 'key and message swapped', platform: 'web', body: { user_id: 'sw-1', user_hash: hmacHex('sw-1', active) }, diagnosis: 'key_and_message_swapped' },
      { name: 'a trailing newline (echo without -n)', platform: 'web', body: { user_id: 'ws-1', user_hash: hmacHex(active, 'ws-1\n') }, diagnosis: 'identifier_whitespace' },
      { name: 'the identifier trimmed', platform: 'web', body: { user_id: ' ws-2 ', user_hash: hmacHex(active, 'ws-2') }, diagnosis: 'identifier_whitespace' },
      { name: 'the identifier lower-cased', platform: 'web', body: { user_id: 'Case-1', user_hash: hmacHex(active, 'case-1') }, diagnosis: 'identifier_case' },
      { name: 'base64', platform: 'web', body: { user_id: 'b64-1', user_hash: mac('sha256', active, 'b64-1').toString('base64') }, diagnosis: 'base64_instead_of_hex' },
      { name: 'base64url', platform: 'web', body: { user_id: 'b64-2', user_hash: mac('sha256', active, 'b64-2').toString('base64url') }, diagnosis: 'base64_instead_of_hex' },
      { name: 'HMAC-SHA1', platform: 'web', body: { user_id: 'alg-1', user_hash: mac('sha1', active, 'alg-1').toString('hex') }, diagnosis: 'wrong_algorithm' },
      { name: 'HMAC-MD5', platform: 'web', body: { user_id: 'alg-2', user_hash: mac('md5', active, 'alg-2').toString('hex') }, diagnosis: 'wrong_algorithm' },
      { name: 'HMAC-SHA512', platform: 'web', body: { user_id: 'alg-3', user_hash: mac('sha512', active, 'alg-3').toString('hex') }, diagnosis: 'wrong_algorithm' },
      { name: 'a malformed hash', platform: 'web', body: { user_id: 'mf-1', user_hash: 'not-a-hash' }, diagnosis: 'malformed_hash' },
      { name: 'a wrong hash of the right shape', platform: 'web', body: { user_id: 'unk-1', user_hash: randomBytes(32).toString('hex') }, diagnosis: 'unknown' },
      {
        name: 'an expired identity token',
        platform: 'web',
        body: { identity_token: signHs256(active, { user_id: 'exp-1', exp: epochSeconds(-3600) }) },
        diagnosis: 'expired_identity_token',
      },
      {
        name: 'an identity token signed with the app id',
        platform: 'web',
        body: { identity_token: signHs256(app.appId, { email: 'tok@example.com', exp: epochSeconds(300) }) },
        diagnosis: 'app_id_as_key',
      },
      // Android is enforced: the same kind of mistakes are refused, and no proof at all is one too.
      { name: 'no proof on an enforced platform', platform: 'android', body: { user_id: 'np-1' }, diagnosis: 'no_proof', refused: true, code: 'user_hash_missing' },
      { name: 'the web secret on enforced android', platform: 'android', body: { user_id: 'op-2', user_hash: hmacHex(active, 'op-2') }, diagnosis: 'other_platform_secret', refused: true },
      { name: 'the iOS secret as a token key on enforced android', platform: 'android', body: { identity_token: signHs256(A.ios, { user_id: 'op-3', exp: epochSeconds(300) }) }, diagnosis: 'other_platform_secret', refused: true },
    ] as Array<{ name: string; platform: string; body: Record<string, string>; diagnosis: string; refused?: boolean; code?: string }>
  }

  beforeAll(async () => {
    server = await startBackendServer(backend)
    app = await server.createApp('Diagnosed')
    other = await server.createApp('Test app on the same server', 'test')
    // Rotate, then revoke the first web secret: it becomes the "revoked secret" of the list.
    active = (await server.admin('POST', `/admin/v1/apps/${app.appId}/platforms/web/secrets`)).body.secret.value
    expect((await server.admin('DELETE', `/admin/v1/apps/${app.appId}/platforms/web/secrets/${app.secretIds.web}`)).status).toBe(204)
    expect((await server.admin('PATCH', `/admin/v1/apps/${app.appId}/platforms/android`, { enforced: true })).status).toBe(200)
  })
  afterAll(() => server.close())

  it('answers the client as the API says, without the diagnosis', async () => {
    for (const c of cases()) {
      const res = await auth(c.platform, c.body)
      if (c.refused) {
        expectError(res, 401, c.code ?? 'user_hash_invalid')
      } else {
        expect(res.status, c.name).toBe(200)
        expect(res.body.user.verified, c.name).toBe(false)
      }
    }
    // Not failures: a valid proof, and a missing one where nothing is enforced.
    expect((await auth('web', { user_id: 'ok-1', user_hash: hmacHex(active, 'ok-1') })).body.user.verified).toBe(true)
    expect((await auth('web', { user_id: 'nothing-1' })).status).toBe(200)
    // A token that cannot be read is refused everywhere, recorded without identity.
    expectError(await auth('web', { identity_token: 'not.a.token' }), 401, 'user_hash_invalid')

    for (const res of responses) {
      const text = JSON.stringify(res.body) + JSON.stringify([...res.headers])
      for (const code of TELLING_CODES) expect(text).not.toContain(code)
      expect(text).not.toMatch(/diagnosis"/)
    }
  })

  it('records each failure with its code, refused flag and diagnosis', async () => {
    await server.running.events.flush()
    const { failures } = await failuresOf(server, app.appId)
    const expected = cases()
    expect(failures).toHaveLength(expected.length + 1)
    for (const c of expected) {
      const token = c.body.identity_token
      const claims = token ? JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) : c.body
      const entry = failures.find((f) => f.user_id === (claims.user_id ?? null) && f.email === (claims.email ?? null))
      expect(entry, c.name).toEqual({
        at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        platform: c.platform,
        user_id: claims.user_id ?? null,
        email: claims.email ?? null,
        app_version: '3.1.0',
        refused: c.refused ?? false,
        code: c.code ?? 'user_hash_invalid',
        diagnosis: c.diagnosis,
      })
    }
    const unreadable = failures.find((f) => f.user_id === null && f.email === null)
    expect(unreadable).toMatchObject({ platform: 'web', refused: true, code: 'user_hash_invalid', diagnosis: 'unknown' })
    expect(failures.some((f) => f.user_id === 'ok-1' || f.user_id === 'nothing-1')).toBe(false)
  })

  it('pages newest first, filters by platform, and keeps each app to its own', async () => {
    const all = (await failuresOf(server, app.appId)).failures
    for (let i = 1; i < all.length; i++) expect(String(all[i - 1]!.at) >= String(all[i]!.at)).toBe(true)

    const paged: unknown[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const page: Awaited<ReturnType<typeof failuresOf>> = await failuresOf(server, app.appId, `?limit=5${cursor ? `&cursor=${cursor}` : ''}`)
      expect(page.failures.length).toBeLessThanOrEqual(5)
      paged.push(...page.failures)
      cursor = page.next_cursor
      pages++
    } while (cursor !== null && pages < 20)
    expect(paged).toEqual(all)

    const android = (await failuresOf(server, app.appId, '?platform=android')).failures
    expect(android.map((f) => f.user_id).sort()).toEqual(['np-1', 'op-2', 'op-3'])
    expect(await failuresOf(server, other.appId)).toEqual({ failures: [], next_cursor: null })
  })

  it('refuses bad queries, unknown apps and callers without the admin key', async () => {
    const path = `/admin/v1/apps/${app.appId}/failures`
    expectError(await server.admin('GET', `${path}?cursor=nonsense`), 400, 'invalid_request')
    expectError(await server.admin('GET', `${path}?platform=windows`), 400, 'invalid_request')
    expectError(await server.admin('GET', `${path}?limit=0`), 400, 'invalid_request')
    expectError(await server.admin('GET', `${path}?diagnosis=wrong_secret`), 400, 'invalid_request')
    expectError(await server.admin('GET', `${path}?colour=red`), 400, 'invalid_request')
    expectError(await server.admin('GET', '/admin/v1/apps/app_00000000000000000000000000/failures'), 404, 'app_not_found')
    expectError(await server.admin('GET', '/admin/v1/apps/nonsense/failures'), 404, 'app_not_found')
    expectError(await server.request('GET', path), 401, 'unauthorized')
  })
})

describe.each(BACKENDS)('a flood of bad hashes for one app (%s)', (backend) => {
  const PER_APP = 300
  let server: TestServer
  let flooded: CreatedApp
  let bystander: CreatedApp

  beforeAll(async () => {
    // A frozen clock makes the budget one window for the whole test: deterministic, no sleeping.
    // The flood's unverified sessions all come from this test's one address: above the default
    // allowance of sessions without a proof (120 a minute), which is not what this test is about.
    server = await startBackendServer(backend, { VERITY_CLIENT_SESSION_RATE: '10000' }, { diagnosisBudget: { perAppPerSecond: PER_APP, globalPerSecond: 1_000_000, now: () => 0 } })
    flooded = await server.createApp('Flooded')
    bystander = await server.createApp('Bystander')
  })
  afterAll(() => server.close())

  const auth = (app: CreatedApp, body: Record<string, unknown>) =>
    server.request('POST', '/v1/messenger/auth', { body: { app_id: app.appId, platform: 'web', ...body } })

  it("leaves other apps' diagnoses intact, records the excess as unknown, and bounds the work", async () => {
    const before = server.running.diagnosisBudget.hmacsComputed
    // Another app's secret is found only by the last and costliest check: with the bystander's
    // android secret (its third), each diagnosis costs at least 10 HMACs.
    const FLOOD = 120
    for (let i = 0; i < FLOOD; i++) {
      const userId = `flood-${i}`
      const res = await auth(flooded, { user_id: userId, user_hash: hmacHex(bystander.secrets.android, userId) })
      expect(res.status).toBe(200)
    }
    // Meanwhile the other app's users log in as usual, and its mistakes are still named.
    const good = await auth(bystander, { user_id: 'calm-1', user_hash: hmacHex(bystander.secrets.web, 'calm-1') })
    expect(good.body.user.verified).toBe(true)
    await auth(bystander, { user_id: 'calm-2', user_hash: hmacHex(bystander.secrets.ios, 'calm-2') })
    await auth(bystander, { user_id: 'calm-3', user_hash: hmacHex(bystander.appId, 'calm-3') })
    await auth(bystander, { user_id: 'Calm-4', user_hash: hmacHex(bystander.secrets.web, 'calm-4') })
    await server.running.events.flush()

    const calm = (await failuresOf(server, bystander.appId)).failures
    expect(Object.fromEntries(calm.map((f) => [f.user_id, f.diagnosis]))).toEqual({
      'calm-2': 'other_platform_secret',
      'calm-3': 'app_id_as_key',
      'Calm-4': 'identifier_case',
    })

    const flood = await allFailures(server, flooded.appId)
    expect(flood).toHaveLength(FLOOD)
    const counts = { other_app_secret: 0, unknown: 0 }
    for (const f of flood) counts[f.diagnosis as keyof typeof counts]++
    expect(counts.other_app_secret + counts.unknown).toBe(FLOOD)
    expect(counts.other_app_secret).toBeGreaterThan(0)
    expect(counts.unknown).toBeGreaterThan(0)

    // The flooded app spent at most its budget; the bystander's few diagnoses cost a handful.
    const spent = server.running.diagnosisBudget.hmacsComputed - before
    expect(spent).toBeLessThanOrEqual(PER_APP + 3 * 20)
    // What was diagnosed is no more than the budget paid for.
    expect(counts.other_app_secret).toBeLessThanOrEqual(PER_APP / 10)
  })
})
