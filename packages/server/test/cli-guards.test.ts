import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BACKENDS, backendEnv, cliDataFor, startBackendServer } from './support/backends.js'
import { hmacHex } from './support/hmac.js'
import { runVerity } from './support/run-cli.js'
import type { TestServer } from './support/test-server.js'

/*
 * The CLI's guards against the mistakes a person makes at a terminal: the wrong folder, the wrong
 * string as a secret, an id that no longer names an active secret, a port already taken. The real
 * built binary (run `npm run build` first).
 */

const dirs: string[] = []
const freshDir = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  dirs.push(dir)
  return dir
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})
const parse = (stdout: string) => JSON.parse(stdout) as Record<string, any>

describe.each(BACKENDS)('a data command where there is no Verity database (%s)', (backend) => {
  const APP = 'app_00000000000000000000000000'
  const commands = [
    ['apps', 'list'],
    ['apps', 'create', '--name', 'Oops', '--environment', 'test'],
    ['secrets', 'list', '--app', APP, '--platform', 'web'],
    ['enforce', 'on', '--app', APP, '--platform', 'web', '--yes'],
    ['rollout', '--app', APP, '--platform', 'web'],
    ['keys', 'rotate'],
  ]

  it('creates no database and no master key: exit 3, no_database, naming the flag and the variable', async () => {
    // Run from an empty folder, as a person in the wrong directory would.
    const cwd = freshDir('verity-elsewhere-')
    const env = await backendEnv(backend)
    const where = backend === 'sqlite' ? /--data-dir or VERITY_DATA_DIR/ : /--database-url or DATABASE_URL/
    for (const command of commands) {
      const res = await runVerity([...command, '--json'], { cwd, env })
      expect([command.join(' '), res.code], res.stderr).toEqual([command.join(' '), 3])
      const { error } = parse(res.stdout)
      expect(error.code).toBe('no_database')
      expect(error.message).toMatch(where)
      expect(error.message).toMatch(/verity migrate/)
    }
    const human = await runVerity(commands[0]!, { cwd, env })
    expect(human.code).toBe(3)
    expect(human.stderr).toMatch(where)
    expect(readdirSync(cwd)).toEqual([])
    if (backend === 'postgres') {
      const db = new Kysely<any>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: env.DATABASE_URL }) }) })
      try {
        expect(await db.introspection.getTables()).toEqual([])
      } finally {
        await db.destroy()
      }
    }
    // `verity migrate` is how to make one on purpose; then the commands work.
    const migrated = await runVerity(['migrate', '--json'], { cwd, env })
    expect(migrated.code, migrated.stderr).toBe(0)
    const list = await runVerity(['apps', 'list', '--json'], { cwd, env })
    expect([list.code, parse(list.stdout).apps]).toEqual([0, []])
  })
})

describe('verity hash --secret with an id instead of a secret', () => {
  it.each([
    ['an app id', 'app_06h0zxgkk4y35azhyhtyzmkvtm', /app id, not a secret/],
    ["a secret's id", 'sec_06h0zxgkk4y35azhyhtyzmkvtm', /secret's id, not its value/],
  ])('refuses %s with exit 2 and says what to use', async (_, value, message) => {
    const res = await runVerity(['hash', '--secret', value, '--user-id', '42'])
    expect(res.code).toBe(2)
    expect(res.stdout).toBe('')
    expect(res.stderr).toMatch(message)
    expect(res.stderr).toMatch(/vsk_/)
    const asJson = await runVerity(['hash', '--secret', value, '--user-id', '42', '--json'])
    expect([asJson.code, parse(asJson.stdout).error.code]).toEqual([2, 'invalid_usage'])
  })

  it('still hashes with any other string, since a secret is whatever the platform issued', async () => {
    const res = await runVerity(['hash', '--secret', 'app_not-an-id', '--user-id', '42'])
    expect(res).toMatchObject({ code: 0, stdout: `${hmacHex('app_not-an-id', '42')}\n` })
  })
})

describe.each(BACKENDS)('verity secrets on the data of a running server (%s)', (backend) => {
  let server: TestServer
  let app: Awaited<ReturnType<TestServer['createApp']>>
  let env: Record<string, string>
  beforeAll(async () => {
    env = await backendEnv(backend)
    server = await startBackendServer(backend, env)
    env = { ...env, VERITY_DATA_DIR: server.dataDir }
    app = await server.createApp('Secrets from the CLI')
  })
  afterAll(() => server?.close())
  const verity = (...args: string[]) => runVerity(args, { env })

  it('secrets list shows when each secret was created, last used, and its users this week', async () => {
    const rotated = (await server.admin('POST', `/admin/v1/apps/${app.appId}/platforms/web/secrets`)).body.secret as { id: string; value: string }
    for (const user of ['u-1', 'u-2']) {
      const res = await server.request('POST', '/v1/messenger/auth', { body: { app_id: app.appId, platform: 'web', user_id: user, user_hash: hmacHex(app.secrets.web, user) } })
      expect(res.body.user.verified).toBe(true)
    }
    await server.running.events.flush()
    const res = await verity('secrets', 'list', '--app', app.appId, '--platform', 'web', '--json')
    expect(res.code, res.stderr).toBe(0)
    const listed = parse(res.stdout).secrets as Array<Record<string, unknown>>
    expect(listed).toEqual([
      { id: app.secretIds.web, value: app.secrets.web, created_at: expect.any(String), last_used_at: expect.any(String), users_this_week: 2 },
      { id: rotated.id, value: rotated.value, created_at: expect.any(String), last_used_at: null, users_this_week: 0 },
    ])
    const human = await verity('secrets', 'list', '--app', app.appId, '--platform', 'web')
    expect(human.code).toBe(0)
    expect(human.stdout).toContain(`${app.secretIds.web}  created ${listed[0]!.created_at}  last used ${listed[0]!.last_used_at}  users this week 2`)
    expect(human.stdout).toContain(`${rotated.id}  created ${listed[1]!.created_at}  last used never  users this week 0`)
  })

  it('secrets revoke of a secret already revoked is not_found (exit 3), not "Revoked" again', async () => {
    const rotated = (await server.admin('POST', `/admin/v1/apps/${app.appId}/platforms/ios/secrets`)).body.secret as { id: string }
    const first = await verity('secrets', 'revoke', '--app', app.appId, '--platform', 'ios', '--secret-id', rotated.id)
    expect([first.code, first.stdout]).toEqual([0, `Revoked ${rotated.id}.\n`])
    const again = await verity('secrets', 'revoke', '--app', app.appId, '--platform', 'ios', '--secret-id', rotated.id, '--json')
    expect(again.code).toBe(3)
    expect(parse(again.stdout).error).toEqual({ code: 'not_found', message: expect.stringMatching(/already revoked/) })
    const human = await verity('secrets', 'revoke', '--app', app.appId, '--platform', 'ios', '--secret-id', rotated.id)
    expect([human.code, human.stdout]).toEqual([3, ''])
    expect(human.stderr).toMatch(/already revoked/)
  })
})

describe.each(BACKENDS)('verity serve on a port that is taken (%s)', (backend) => {
  let server: TestServer
  beforeAll(async () => {
    server = await startBackendServer(backend)
  })
  afterAll(() => server?.close())

  it('exits non-zero with a message naming --port and PORT, not a raw EADDRINUSE, and lets go of its database', async () => {
    const { port } = new URL(server.url)
    // The data of the running server: on PostgreSQL the refused process has opened its pool by then.
    const data = cliDataFor(server)
    for (const [args, extraEnv] of [
      [['serve', '--port', port], {}],
      [['serve'], { PORT: port }],
    ] as const) {
      const res = await runVerity([...args, ...data.args], { env: { ...data.env, VERITY_ADMIN_KEY: 'k'.repeat(40), LOG_LEVEL: 'silent', ...extraEnv } })
      expect(res.code, res.stderr).toBe(3)
      expect(res.stderr).toMatch(new RegExp(`Port ${port} is already in use`))
      expect(res.stderr).toMatch(/--port or PORT/)
      expect(res.stderr).not.toMatch(/EADDRINUSE|at .*\.js:\d+/)
    }
  })
})
