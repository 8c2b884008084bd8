// The real `verity` binary (build first) for the data lifecycle: failures, users sign-out and
// erase, apps delete, on the data of a running server, on both databases. They call the services
// the admin API calls, so the running server applies what they did within 2 s.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BACKENDS, backendEnv } from './support/backends.js'
import { hmacHex } from './support/hmac.js'
import { verifiedSession } from './support/messenger-sessions.js'
import { runVerity } from './support/run-cli.js'
import { within } from './support/within.js'
import { startTestServer, type TestServer } from './support/test-server.js'

describe.each(BACKENDS)('verity failures, users, apps delete (%s)', (backend) => {
  let server: TestServer
  let env: Record<string, string>
  let app: Awaited<ReturnType<TestServer['createApp']>>
  const verity = async (...args: string[]) => {
    const res = await runVerity([...args, '--data-dir', server.dataDir], { env })
    return { ...res, doc: args.includes('--json') && res.stdout.trim() !== '' ? JSON.parse(res.stdout) : undefined }
  }

  beforeAll(async () => {
    env = await backendEnv(backend)
    server = await startTestServer(env)
    app = await server.createApp('CLI lifecycle')
    const auth = (body: Record<string, unknown>) => server.request('POST', '/v1/messenger/auth', { body: { app_id: app.appId, ...body } })
    // An iOS user whose backend hashed with the web secret, and one who sent nothing on an enforced platform.
    await auth({ platform: 'ios', user_id: 'cli-u1', user_hash: hmacHex(app.secrets.web, 'cli-u1'), app_version: '3.1.0' })
    await server.admin('PATCH', `/admin/v1/apps/${app.appId}/platforms/android`, { enforced: true })
    await auth({ platform: 'android', user_id: 'cli-u2' })
    await server.running.events.flush()
  })
  afterAll(() => server?.close())

  it('verity failures lists recent failures with their diagnosis and what to do', async () => {
    const all = await verity('failures', '--app', app.appId, '--json')
    expect(all.code).toBe(0)
    expect(all.doc.failures.map((f: { user_id: string; diagnosis: string; platform: string; refused: boolean }) => [f.user_id, f.platform, f.diagnosis, f.refused])).toEqual([
      ['cli-u2', 'android', 'no_proof', true],
      ['cli-u1', 'ios', 'other_platform_secret', false],
    ])
    expect(all.doc.next_cursor).toBeNull()
    const ios = await verity('failures', '--app', app.appId, '--platform', 'ios', '--json')
    expect(ios.doc.failures).toHaveLength(1)
    const people = await verity('failures', '--app', app.appId)
    expect(people.code).toBe(0)
    expect(people.stdout).toContain('other_platform_secret')
    expect(people.stdout).toContain('What to do:')
    expect(people.stdout).toContain('cli-u1')
    const page = await verity('failures', '--app', app.appId, '--limit', '1', '--json')
    expect(page.doc.failures).toHaveLength(1)
    const rest = await verity('failures', '--app', app.appId, '--cursor', page.doc.next_cursor, '--json')
    expect(rest.doc.failures.map((f: { user_id: string }) => f.user_id)).toEqual(['cli-u1'])

    const unknown = await verity('failures', '--app', 'app_00000000000000000000000000', '--json')
    expect([unknown.code, unknown.doc.error.code]).toEqual([3, 'app_not_found'])
    const badPlatform = await verity('failures', '--app', app.appId, '--platform', 'windows', '--json')
    expect([badPlatform.code, badPlatform.doc.error.code]).toEqual([2, 'invalid_usage'])
    const badCursor = await verity('failures', '--app', app.appId, '--cursor', 'nonsense', '--json')
    expect([badCursor.code, badCursor.doc.error.code]).toEqual([2, 'invalid_request'])
  })

  it('verity users sign-out ends the user\'s tokens on the running server within 2 s', async () => {
    const session = await verifiedSession(server, app.appId, app.secrets.web, { userId: 'cli-leaving' })
    const out = await verity('users', 'sign-out', '--app', app.appId, '--user-id', 'cli-leaving', '--json')
    expect(out.code).toBe(0)
    expect(Date.parse(out.doc.signed_out_before)).toBeGreaterThan(0)
    const ms = await within(2_000, 'the token is refused', async () => (await server.request('GET', '/v1/messenger/me', { token: session.token })).status === 401)
    console.info(`[${backend}] CLI sign-out reached the server in ${ms} ms`)
    const me = await server.request('GET', '/v1/messenger/me', { token: session.token })
    expect(me.body.error.code).toBe('token_invalid')
    const audit = await server.admin('GET', `/admin/v1/audit-log?app_id=${app.appId}`)
    expect(audit.body.events[0]).toMatchObject({ action: 'user.signed_out', target: 'uid:cli-leaving' })
    expect(audit.body.events[0].actor).toMatch(/^cli:/)
    const people = await verity('users', 'sign-out', '--app', app.appId, '--email', 'someone@example.test')
    expect([people.code, people.stdout]).toEqual([0, expect.stringMatching(/^Signed out: access tokens issued before /)])
  })

  it('verity users erase deletes the user and says what went', async () => {
    const session = await verifiedSession(server, app.appId, app.secrets.web, { userId: 'cli-u1' })
    expect((await server.request('POST', '/v1/messenger/conversations', { token: session.token, body: { body: 'erase me' } })).status).toBe(201)
    const out = await verity('users', 'erase', '--app', app.appId, '--user-id', 'cli-u1', '--json')
    expect(out.code).toBe(0)
    expect(out.doc).toMatchObject({ erased: true, removed: { conversations: 1, messages: 1, failures: 1 } })
    const failures = await server.admin('GET', `/admin/v1/apps/${app.appId}/failures`)
    expect(failures.body.failures.map((f: { user_id: string }) => f.user_id)).toEqual(['cli-u2'])
    await within(2_000, 'the token is refused', async () => (await server.request('GET', '/v1/messenger/me', { token: session.token })).status === 401)
  })

  it('users commands refuse bad usage and unknown apps with catalogue codes', async () => {
    const cases: [string, string[]][] = [['sign-out', []], ['erase', ['--user-id', 'a', '--email', 'b@c.d']], ['erase', ['--user-id', '']], ['sign-out', ['--email', 'a\u0007']]]
    for (const [command, args] of cases) {
      const res = await verity('users', command, '--app', app.appId, ...args, '--json')
      expect([command, args, res.code, res.doc.error.code]).toEqual([command, args, 2, 'invalid_usage'])
    }
    const unknown = await verity('users', 'erase', '--app', 'app_00000000000000000000000000', '--user-id', 'a', '--json')
    expect([unknown.code, unknown.doc.error.code]).toEqual([3, 'app_not_found'])
  })

  it('verity apps delete needs --confirm with the id, then deletes the app; the server forgets it within 2 s', async () => {
    const doomed = await server.createApp('CLI doomed')
    const session = await verifiedSession(server, doomed.appId, doomed.secrets.web, { userId: 'x' })
    const refused = await verity('apps', 'delete', doomed.appId, '--json')
    expect([refused.code, refused.doc]).toEqual([1, { deleted: false }])
    expect(refused.stderr).toContain(`--confirm ${doomed.appId}`)
    const wrong = await verity('apps', 'delete', doomed.appId, '--confirm', app.appId)
    expect([wrong.code, wrong.stderr]).toEqual([1, expect.stringContaining('does not match')])
    expect((await server.admin('GET', `/admin/v1/apps/${doomed.appId}`)).status).toBe(200)
    const unknown = await verity('apps', 'delete', 'app_00000000000000000000000000', '--confirm', 'app_00000000000000000000000000', '--json')
    expect([unknown.code, unknown.doc.error.code]).toEqual([3, 'app_not_found'])

    const done = await verity('apps', 'delete', doomed.appId, '--confirm', doomed.appId, '--json')
    expect([done.code, done.doc]).toEqual([0, { deleted: true, app_id: doomed.appId }])
    expect((await server.admin('GET', `/admin/v1/apps/${doomed.appId}`)).status).toBe(404)
    await within(2_000, 'the token stops', async () => (await server.request('GET', '/v1/messenger/me', { token: session.token })).status === 401)
    await within(2_000, 'the app is gone', async () => (await server.request('POST', '/v1/messenger/auth', { body: { app_id: doomed.appId, platform: 'web' } })).status === 404)
  })
})
