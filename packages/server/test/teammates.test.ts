import { request as httpRequest } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { credentialDigest } from '../src/teammates/credentials.js'
import { totp, base32Decode } from '../src/crypto/totp.js'
import { BACKENDS, startBackendServer } from './support/backends.js'
import { TEST_ADMIN_KEY } from './support/test-server.js'
import { addTeammate, apiToken, GOOD_PASSWORD, signIn, signInConfirmed, TEST_SCRYPT_ENV } from './support/teammates.js'
import type { TestServer } from './support/test-server.js'

function expectError(res: { status: number; body: any }, status: number, code: string): void {
  expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code })
}

describe.each(BACKENDS)('teammate accounts (%s)', (backend) => {
  let server: TestServer
  beforeAll(async () => {
    server = await startBackendServer(backend, { ...TEST_SCRYPT_ENV, VERITY_ADMIN_GUESS_RATE: '1000' })
    await addTeammate(server, 'owner@example.com', 'owner')
  })
  afterAll(() => server.close())

  it('signs in with an HttpOnly, SameSite=Strict, Path=/ cookie (not Secure on plain-HTTP loopback) and a CSRF token', async () => {
    const client = await signIn(server, 'Owner@Example.com')
    expect(client.setCookie).toMatch(/^verity_session=vss_[\w-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=604800$/)
    const me = await client.call('GET', '/admin/v1/session')
    expect(me.status).toBe(200)
    expect(me.body).toMatchObject({ teammate: { email: 'owner@example.com', role: 'owner' }, csrf_token: client.csrf, confirmed_until: null })
    // The session works on the admin API like the admin key does.
    expect((await client.call('GET', '/admin/v1/apps')).status).toBe(200)
  })

  it('answers a wrong password and an unknown email the same way', async () => {
    const wrong = await server.request('POST', '/admin/v1/session', { body: { email: 'owner@example.com', password: 'not-the-password-1' } })
    const unknown = await server.request('POST', '/admin/v1/session', { body: { email: 'nobody@example.com', password: 'not-the-password-1' } })
    expectError(wrong, 401, 'invalid_credentials')
    expectError(unknown, 401, 'invalid_credentials')
    expect(unknown.body).toEqual(wrong.body)
    expect(wrong.headers.get('set-cookie')).toBeNull()
  })

  it('refuses a sixth attempt for one email within 15 minutes with 429, the right password too; other emails are unaffected', async () => {
    await addTeammate(server, 'limited@example.com', 'agent')
    for (let i = 0; i < 5; i++) expectError(await server.request('POST', '/admin/v1/session', { body: { email: 'limited@example.com', password: `wrong-password-${i}` } }), 401, 'invalid_credentials')
    const sixth = await server.request('POST', '/admin/v1/session', { body: { email: 'limited@example.com', password: GOOD_PASSWORD } })
    expectError(sixth, 429, 'rate_limited')
    expect(Number(sixth.headers.get('retry-after'))).toBeGreaterThan(0)
    await signIn(server, 'owner@example.com')
  })

  it('CSRF: a cookie-authenticated unsafe request needs the X-CSRF-Token and a same-origin Origin; Bearer calls need neither', async () => {
    const client = await signInConfirmed(server, 'owner@example.com')
    const body = { name: 'CSRF app', environment: 'test' }
    expectError(await client.call('POST', '/admin/v1/apps', body, { csrf: null }), 403, 'csrf_failed')
    expectError(await client.call('POST', '/admin/v1/apps', body, { csrf: 'csrf_wrong' }), 403, 'csrf_failed')
    expectError(await client.call('POST', '/admin/v1/apps', body, { origin: 'https://evil.example' }), 403, 'csrf_failed')
    expect((await client.call('POST', '/admin/v1/apps', body, { origin: new URL(server.url).origin })).status).toBe(201)
    expect((await client.call('POST', '/admin/v1/apps', body)).status).toBe(201)
    // A GET needs no token.
    expect((await client.call('GET', '/admin/v1/apps')).status).toBe(200)
    expect((await server.admin('POST', '/admin/v1/apps', body)).status).toBe(201)
  })

  it('sensitive calls from a session need a confirmation within the last 10 minutes', async () => {
    const { appId } = await server.createApp('Confirm app')
    const client = await signIn(server, 'owner@example.com')
    expectError(await client.call('GET', `/admin/v1/apps/${appId}/platforms/web/secrets`), 403, 'reauthentication_required')
    expectError(await client.call('PATCH', `/admin/v1/apps/${appId}/platforms/web`, { enforced: true }), 403, 'reauthentication_required')
    expectError(await client.call('POST', '/admin/v1/session/confirm', { password: 'wrong-password-x' }), 401, 'invalid_credentials')
    const confirmed = await client.call('POST', '/admin/v1/session/confirm', { password: GOOD_PASSWORD })
    expect(confirmed.status).toBe(200)
    expect(Date.parse(confirmed.body.confirmed_until) - Date.now()).toBeGreaterThan(9 * 60_000)
    expect((await client.call('GET', `/admin/v1/apps/${appId}/platforms/web/secrets`)).status).toBe(200)
    // Ten minutes later (the stored confirmation moved into the past), it is asked again.
    const sessionId = (await client.call('GET', '/admin/v1/me/sessions')).body.sessions.find((s: any) => s.current).id
    await server.running.data.teammateSessions.confirm(sessionId, new Date(Date.now() - 1000))
    expectError(await client.call('GET', `/admin/v1/apps/${appId}/platforms/web/secrets`), 403, 'reauthentication_required')
  })

  it('invites: single use, 72 hours, the password policy applies; the teammate then signs in', async () => {
    const owner = await signInConfirmed(server, 'owner@example.com')
    const invited = await owner.call('POST', '/admin/v1/teammates', { email: 'new.agent@example.com', role: 'agent' })
    expect(invited.status).toBe(201)
    expect(invited.body.teammate).toMatchObject({ email: 'new.agent@example.com', role: 'agent', active: false })
    const token = new URL(invited.body.invite_url).hash.replace('#invite=', '')
    expect(token).toMatch(/^vin_/)
    expectError(await server.request('POST', '/admin/v1/invites/accept', { body: { token, password: 'short' } }), 400, 'invalid_request')
    expectError(await server.request('POST', '/admin/v1/invites/accept', { body: { token, password: 'password1234' } }), 400, 'invalid_request')
    const accepted = await server.request('POST', '/admin/v1/invites/accept', { body: { token, password: GOOD_PASSWORD, name: 'Ana' } })
    expect(accepted.status).toBe(200)
    expect(accepted.body.teammate).toMatchObject({ email: 'new.agent@example.com', name: 'Ana', active: true })
    expectError(await server.request('POST', '/admin/v1/invites/accept', { body: { token, password: 'another-fine-pass-9' } }), 410, 'invite_expired')
    await signIn(server, 'new.agent@example.com')
    // An invite past its 72 hours.
    await server.running.data.teammates.create(
      { email: 'late@example.com', name: null, role: 'agent', passwordHash: null, invite: { tokenHash: credentialDigest('vin_late'), expiresAt: new Date(Date.now() - 1) } },
      { actor: 'test' },
      new Date(Date.now() - 72 * 3600_000),
    )
    expectError(await server.request('POST', '/admin/v1/invites/accept', { body: { token: 'vin_late', password: GOOD_PASSWORD } }), 410, 'invite_expired')
    expectError(await server.request('POST', '/admin/v1/invites/accept', { body: { token: 'vin_unknown', password: GOOD_PASSWORD } }), 410, 'invite_expired')
    // Someone invited but not yet active cannot sign in.
    expectError(await server.request('POST', '/admin/v1/session', { body: { email: 'late@example.com', password: GOOD_PASSWORD } }), 401, 'invalid_credentials')
  })

  it('the last owner can be neither demoted nor removed; a role change ends the sessions and tokens of that teammate', async () => {
    const owner = await signInConfirmed(server, 'owner@example.com')
    const list = await owner.call('GET', '/admin/v1/teammates')
    const ownerId = list.body.teammates.find((t: any) => t.email === 'owner@example.com').id
    expectError(await owner.call('PATCH', `/admin/v1/teammates/${ownerId}`, { role: 'admin' }), 409, 'last_owner')
    expectError(await owner.call('DELETE', `/admin/v1/teammates/${ownerId}`), 409, 'last_owner')
    const adminId = await addTeammate(server, 'demoted@example.com', 'admin')
    const admin = await signIn(server, 'demoted@example.com')
    const token = await apiToken(server, adminId, 'admin')
    expect((await server.request('GET', '/admin/v1/apps', { token })).status).toBe(200)
    const changed = await owner.call('PATCH', `/admin/v1/teammates/${adminId}`, { role: 'agent' })
    expect(changed.status).toBe(200)
    expect(changed.body.teammate.role).toBe('agent')
    expectError(await admin.call('GET', '/admin/v1/session'), 401, 'unauthorized')
    expectError(await server.request('GET', '/admin/v1/apps', { token }), 401, 'unauthorized')
    // With a second owner, the first may step down.
    const second = await addTeammate(server, 'second.owner@example.com', 'owner')
    expect((await owner.call('DELETE', `/admin/v1/teammates/${second}`)).status).toBe(204)
    expectError(await owner.call('DELETE', `/admin/v1/teammates/${second}`), 404, 'not_found')
  })

  it('a password change ends every other session; sessions can be listed and ended', async () => {
    await addTeammate(server, 'pw@example.com', 'admin')
    const a = await signIn(server, 'pw@example.com')
    const b = await signIn(server, 'pw@example.com')
    const listed = await a.call('GET', '/admin/v1/me/sessions')
    expect(listed.body.sessions).toHaveLength(2)
    expect(listed.body.sessions.filter((s: any) => s.current)).toHaveLength(1)
    expect(listed.body.sessions[0]).toMatchObject({ ip: '127.0.0.1' })
    expectError(await a.call('POST', '/admin/v1/me/password', { current_password: 'wrong-password-y', new_password: 'a-new-long-phrase-3' }), 401, 'invalid_credentials')
    expectError(await a.call('POST', '/admin/v1/me/password', { current_password: GOOD_PASSWORD, new_password: 'qwertyuiop123' }), 400, 'invalid_request')
    expect((await a.call('POST', '/admin/v1/me/password', { current_password: GOOD_PASSWORD, new_password: 'a-new-long-phrase-3' })).status).toBe(204)
    expect((await a.call('GET', '/admin/v1/session')).status).toBe(200)
    expectError(await b.call('GET', '/admin/v1/session'), 401, 'unauthorized')
    const c = await signIn(server, 'pw@example.com', 'a-new-long-phrase-3')
    expect((await a.call('DELETE', '/admin/v1/me/sessions')).status).toBe(204)
    expectError(await c.call('GET', '/admin/v1/session'), 401, 'unauthorized')
    expect((await a.call('DELETE', '/admin/v1/session')).status).toBe(204)
    expectError(await a.call('GET', '/admin/v1/session'), 401, 'unauthorized')
  })

  it('a session ends after 12 hours unused and 7 days after sign-in, whichever comes first', async () => {
    await addTeammate(server, 'expiry@example.com', 'agent')
    const idle = await signIn(server, 'expiry@example.com')
    const old = await signIn(server, 'expiry@example.com')
    const db = server.running.data.db
    const sessions = await db.selectFrom('teammate_sessions').select(['id', 'created_at']).orderBy('id').execute()
    const [idleId, oldId] = sessions.slice(-2).map((r) => r.id)
    await db.updateTable('teammate_sessions').set({ last_seen_at: new Date(Date.now() - 12 * 3600_000 - 1000).toISOString() }).where('id', '=', idleId!).execute()
    await db.updateTable('teammate_sessions').set({ expires_at: new Date(Date.now() - 1000).toISOString() }).where('id', '=', oldId!).execute()
    expectError(await idle.call('GET', '/admin/v1/session'), 401, 'unauthorized')
    expectError(await old.call('GET', '/admin/v1/session'), 401, 'unauthorized')
    // A session used within the hours stays, and its use is recorded.
    const fresh = await signIn(server, 'expiry@example.com')
    expect((await fresh.call('GET', '/admin/v1/session')).status).toBe(200)
  })

  it('personal API tokens: vpt_ value shown once, stored hashed, role no higher than the owner, Bearer on the admin API, revocable', async () => {
    const agentId = await addTeammate(server, 'tokens.agent@example.com', 'agent')
    const agent = await signInConfirmed(server, 'tokens.agent@example.com')
    expectError(await agent.call('POST', '/admin/v1/me/tokens', { name: 'too high', role: 'admin' }), 403, 'forbidden')
    const made = await agent.call('POST', '/admin/v1/me/tokens', { name: 'inbox bot', expires_in_days: 30 })
    expect(made.status).toBe(201)
    expect(made.body.token).toMatchObject({ name: 'inbox bot', role: 'agent', last_used_at: null })
    const value = made.body.token.value as string
    expect(value).toMatch(/^vpt_[\w-]{43}$/)
    const rows = await server.running.data.db.selectFrom('api_tokens').selectAll().where('teammate_id', '=', agentId).execute()
    expect(JSON.stringify(rows)).not.toContain(value)
    const listed = await agent.call('GET', '/admin/v1/me/tokens')
    expect(JSON.stringify(listed.body)).not.toContain(value)
    expectError(await server.request('GET', '/admin/v1/apps', { token: value }), 403, 'forbidden')
    const used = await agent.call('GET', '/admin/v1/me/tokens')
    expect(used.body.tokens[0].last_used_at).not.toBeNull()
    expect((await agent.call('DELETE', `/admin/v1/me/tokens/${made.body.token.id}`)).status).toBe(204)
    expectError(await server.request('GET', '/admin/v1/apps', { token: value }), 401, 'unauthorized')
    // An expired token is refused.
    const expired = await apiToken(server, agentId, 'agent')
    await server.running.data.db.updateTable('api_tokens').set({ expires_at: new Date(Date.now() - 1000).toISOString() }).where('token_hash', '=', credentialDigest(expired)).execute()
    expectError(await server.request('GET', `/admin/v1/apps/app_x/conversations`, { token: expired }), 401, 'unauthorized')
  })

  it('two-factor sign-in: RFC 6238 codes, then 10 single-use recovery codes', async () => {
    await addTeammate(server, 'totp@example.com', 'admin')
    const client = await signIn(server, 'totp@example.com')
    const begun = await client.call('POST', '/admin/v1/me/totp')
    expect(begun.status).toBe(200)
    expect(begun.body.otpauth_url).toMatch(/^otpauth:\/\/totp\/Verity%3Atotp%40example\.com\?secret=[A-Z2-7]+&issuer=Verity/)
    const key = base32Decode(begun.body.secret)
    expectError(await client.call('POST', '/admin/v1/me/totp/confirm', { code: '000000' === totp(key, Date.now() / 1000) ? '111111' : '000000' }), 401, 'totp_invalid')
    const enrolCode = totp(key, Date.now() / 1000)
    const enabled = await client.call('POST', '/admin/v1/me/totp/confirm', { code: enrolCode })
    expect(enabled.status).toBe(200)
    const codes = enabled.body.recovery_codes as string[]
    expect(codes).toHaveLength(10)
    expect(new Set(codes).size).toBe(10)
    expectError(await server.request('POST', '/admin/v1/session', { body: { email: 'totp@example.com', password: GOOD_PASSWORD } }), 401, 'totp_required')
    expectError(await server.request('POST', '/admin/v1/session', { body: { email: 'totp@example.com', password: GOOD_PASSWORD, totp: '12345' } }), 401, 'totp_invalid')
    // The code that turned it on is spent; the next step's code (within the allowed drift) works once.
    expectError(await server.request('POST', '/admin/v1/session', { body: { email: 'totp@example.com', password: GOOD_PASSWORD, totp: enrolCode } }), 401, 'totp_invalid')
    const next = totp(key, Date.now() / 1000 + 30)
    await signIn(server, 'totp@example.com', GOOD_PASSWORD, next)
    expectError(await server.request('POST', '/admin/v1/session', { body: { email: 'totp@example.com', password: GOOD_PASSWORD, totp: next } }), 401, 'totp_invalid')
    await signIn(server, 'totp@example.com', GOOD_PASSWORD, codes[0])
    expectError(await server.request('POST', '/admin/v1/session', { body: { email: 'totp@example.com', password: GOOD_PASSWORD, totp: codes[0] } }), 401, 'totp_invalid')
    // The wrong password with a right code is still the password's answer.
    expectError(await server.request('POST', '/admin/v1/session', { body: { email: 'totp@example.com', password: 'wrong-password-z', totp: codes[1] } }), 401, 'invalid_credentials')
    const listed = await server.admin('GET', '/admin/v1/teammates')
    expect(listed.body.teammates.find((t: any) => t.email === 'totp@example.com').totp_enabled).toBe(true)
    expect(JSON.stringify(listed.body)).not.toContain(begun.body.secret)
  })

  it('audit entries name the teammate and the client address, with before/after and no secret value', async () => {
    const owner = await signInConfirmed(server, 'owner@example.com')
    const id = await addTeammate(server, 'audited@example.com', 'agent')
    expect((await owner.call('PATCH', `/admin/v1/teammates/${id}`, { role: 'admin' })).status).toBe(200)
    const { body } = await server.admin('GET', '/admin/v1/audit-log?limit=100')
    const event = body.events.find((e: any) => e.action === 'teammate.role_changed' && e.target === id)
    expect(event).toMatchObject({ actor: 'teammate:owner@example.com', client: '127.0.0.1', details: { email: 'audited@example.com', before: { role: 'agent' }, after: { role: 'admin' } } })
    // Every admin route's audit entry names its actor and address: a session, a token, the admin key.
    const viaSession = (await owner.call('POST', '/admin/v1/apps', { name: 'Audited by session', environment: 'test' })).body.app.id
    const ownerId = (await server.admin('GET', '/admin/v1/teammates')).body.teammates.find((t: any) => t.email === 'owner@example.com').id
    const token = await apiToken(server, ownerId, 'admin')
    const viaToken = (await server.request('POST', '/admin/v1/apps', { token, body: { name: 'Audited by token', environment: 'test' } })).body.app.id
    const created = (await server.admin('GET', '/admin/v1/audit-log?action=app.created&limit=100')).body.events
    expect(created.find((e: any) => e.app_id === viaSession)).toMatchObject({ actor: 'teammate:owner@example.com', client: '127.0.0.1' })
    expect(created.find((e: any) => e.app_id === viaToken)).toMatchObject({ actor: expect.stringMatching(/^token:tok_/), client: '127.0.0.1' })
    // Filters: actor, action, since; and CSV.
    const since = new Date(Date.parse(event.at) - 1000).toISOString()
    const filtered = await server.admin('GET', `/admin/v1/audit-log?actor=${encodeURIComponent('teammate:owner@example.com')}&action=teammate.role_changed&since=${since}`)
    expect(filtered.status).toBe(200)
    expect(filtered.body.events.map((e: any) => e.id)).toContain(event.id)
    expect(filtered.body.events.every((e: any) => e.actor === 'teammate:owner@example.com' && e.action === 'teammate.role_changed' && e.at >= since)).toBe(true)
    expect((await server.admin('GET', '/admin/v1/audit-log?actor=nobody')).body.events).toEqual([])
    expectError(await server.admin('GET', '/admin/v1/audit-log?since=yesterday'), 400, 'invalid_request')
    expectError(await server.admin('GET', '/admin/v1/audit-log?format=xml'), 400, 'invalid_request')
    await server.admin('POST', '/admin/v1/apps', { name: '=HYPERLINK("http://evil.example")', environment: 'test' })
    const csv = await fetch(`${server.url}/admin/v1/audit-log?format=csv`, { headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` } })
    expect(csv.status).toBe(200)
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8')
    const text = await csv.text()
    const [header, ...rows] = text.trimEnd().split('\r\n')
    expect(header).toBe('id,at,actor,client,action,app_id,platform,target,details')
    expect(rows.some((r) => r.startsWith(`${event.id},`) && r.includes('teammate:owner@example.com,127.0.0.1,teammate.role_changed'))).toBe(true)
    expect(text).not.toMatch(/(^|,)=HYPERLINK/m)
  })

  it('an owner can require two-factor sign-in: until a teammate turns it on, only their own account answers', async () => {
    await addTeammate(server, 'security.owner@example.com', 'owner')
    const first = await signInConfirmed(server, 'security.owner@example.com')
    expectError(await first.call('PATCH', '/admin/v1/security', { require_totp: true }), 400, 'invalid_request')
    const ownerKey = base32Decode((await first.call('POST', '/admin/v1/me/totp')).body.secret)
    expect((await first.call('POST', '/admin/v1/me/totp/confirm', { code: totp(ownerKey, Date.now() / 1000) })).status).toBe(200)
    const owner = await signIn(server, 'security.owner@example.com', GOOD_PASSWORD, totp(ownerKey, Date.now() / 1000 + 30))
    expect((await owner.call('POST', '/admin/v1/session/confirm', { password: GOOD_PASSWORD })).status).toBe(200)
    await addTeammate(server, 'must.enrol@example.com', 'admin')
    const admin = await signIn(server, 'must.enrol@example.com')
    expectError(await admin.call('PATCH', '/admin/v1/security', { require_totp: true }), 403, 'forbidden')
    const set = await owner.call('PATCH', '/admin/v1/security', { require_totp: true })
    expect(set.status).toBe(200)
    expect(set.body.security).toEqual({ require_totp: true })
    try {
      expectError(await admin.call('GET', '/admin/v1/apps'), 403, 'forbidden')
      expect((await admin.call('GET', '/admin/v1/session')).status).toBe(200)
      const begun = await admin.call('POST', '/admin/v1/me/totp')
      const key = base32Decode(begun.body.secret)
      expect((await admin.call('POST', '/admin/v1/me/totp/confirm', { code: totp(key, Date.now() / 1000) })).status).toBe(200)
      const again = await signIn(server, 'must.enrol@example.com', GOOD_PASSWORD, totp(key, Date.now() / 1000 + 30))
      expect((await again.call('GET', '/admin/v1/apps')).status).toBe(200)
      // The bootstrap key and API tokens are not sessions: unaffected.
      expect((await server.admin('GET', '/admin/v1/apps')).status).toBe(200)
    } finally {
      expect((await owner.call('PATCH', '/admin/v1/security', { require_totp: false })).status).toBe(200)
    }
    const audit = (await server.admin('GET', '/admin/v1/audit-log?limit=100')).body.events
    expect(audit.find((e: any) => e.action === 'security.changed')).toMatchObject({ actor: 'teammate:security.owner@example.com', details: { after: { require_totp: false } } })
  })

  it('the cookie is Secure, with the __Host- prefix, when the request is not plain-HTTP loopback', async () => {
    const url = new URL(server.url)
    const { status, setCookie } = await new Promise<{ status: number; setCookie: string }>((resolve, reject) => {
      const req = httpRequest(
        { host: url.hostname, port: url.port, method: 'POST', path: '/admin/v1/session', headers: { host: 'verity.example.com', 'content-type': 'application/json' } },
        (res) => {
          res.resume()
          res.on('end', () => resolve({ status: res.statusCode!, setCookie: String(res.headers['set-cookie']) }))
        },
      )
      req.on('error', reject)
      req.end(JSON.stringify({ email: 'owner@example.com', password: GOOD_PASSWORD }))
    })
    expect(status).toBe(200)
    expect(setCookie).toMatch(/^__Host-verity_session=vss_[\w-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=604800; Secure$/)
    // The cookie works under that name too.
    const res = await server.request('GET', '/admin/v1/session', { headers: { cookie: setCookie.split(';')[0]! } })
    expect(res.status).toBe(200)
  })

  it('a sign-in from another site is refused (login CSRF)', async () => {
    const res = await server.request('POST', '/admin/v1/session', { body: { email: 'owner@example.com', password: GOOD_PASSWORD }, headers: { origin: 'https://evil.example' } })
    expectError(res, 403, 'csrf_failed')
    expect(res.headers.get('set-cookie')).toBeNull()
  })
})
