// Sign-in under pressure: wrong credentials per client address, and a flood of sign-ins that must
// not queue password hashes without bound.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BACKENDS, startBackendServer } from './support/backends.js'
import { addTeammate, GOOD_PASSWORD, TEST_SCRYPT_ENV } from './support/teammates.js'
import type { TestServer } from './support/test-server.js'

describe.each(BACKENDS)('sign-in limits (%s)', (backend) => {
  let server: TestServer
  beforeAll(async () => {
    server = await startBackendServer(backend, { ...TEST_SCRYPT_ENV, VERITY_ADMIN_GUESS_RATE: '4' })
    await addTeammate(server, 'someone@example.com', 'admin')
  })
  afterAll(() => server.close())

  it('wrong sign-ins from one address count as credential guesses: past the limit, 429 for every email, the right password too', async () => {
    for (let i = 0; i < 4; i++) {
      const res = await server.request('POST', '/admin/v1/session', { body: { email: `guess${i}@example.com`, password: 'wrong-password-guess' } })
      expect({ status: res.status, code: res.body.error.code }).toEqual({ status: 401, code: 'invalid_credentials' })
    }
    const right = await server.request('POST', '/admin/v1/session', { body: { email: 'someone@example.com', password: GOOD_PASSWORD } })
    expect({ status: right.status, code: right.body.error.code }).toEqual({ status: 429, code: 'rate_limited' })
    expect(Number(right.headers.get('retry-after'))).toBeGreaterThan(0)
    // Another client address (behind no proxy, the socket's) would be unaffected; here the same
    // address also cannot guess a session cookie or an API token.
    const cookie = await server.request('GET', '/admin/v1/apps', { headers: { cookie: 'verity_session=vss_guess' } })
    expect(cookie.status).toBe(429)
  })
})

describe.each(BACKENDS)('a sign-in flood (%s)', (backend) => {
  let server: TestServer
  beforeAll(async () => {
    server = await startBackendServer(backend, { VERITY_SCRYPT_LOG_N: '14', VERITY_SIGN_IN_CONCURRENCY: '1', VERITY_ADMIN_GUESS_RATE: '100000' })
    await addTeammate(server, 'flooded@example.com', 'admin')
  })
  afterAll(() => server.close())

  it('is answered 401 or 503 with Retry-After (a bounded queue of hashes), never a 500; sign-in works once it passes', async () => {
    const results = await Promise.all(
      Array.from({ length: 80 }, (_, i) => server.request('POST', '/admin/v1/session', { body: { email: `flood${i}@example.com`, password: `flood-password-${i}` } })),
    )
    for (const res of results) {
      expect([[401, 'invalid_credentials'], [503, 'unavailable']]).toContainEqual([res.status, res.body.error.code])
      if (res.status === 503) expect(res.headers.get('retry-after')).toBe('2')
    }
    expect(results.filter((r) => r.status === 401).length).toBeGreaterThan(0)
    const ok = await server.request('POST', '/admin/v1/session', { body: { email: 'flooded@example.com', password: GOOD_PASSWORD } })
    expect(ok.status).toBe(200)
  })
})
