import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hmacHex } from './support/hmac.js'
import { runVerity } from './support/run-cli.js'
import { BACKENDS, SHARED_MASTER_KEY, type Backend } from './support/backends.js'
import { freshPostgresDatabase } from './support/postgres-database.js'
import { startTestServer, type TestServer } from './support/test-server.js'

const json = async (args: string[], env: Record<string, string> = {}) => {
  const res = await runVerity([...args, '--json'], { env })
  return { ...res, doc: res.stdout.trim() === '' ? undefined : JSON.parse(res.stdout) }
}

/**
 * Where the CLI finds its data: SQLite in a folder (VERITY_DATA_DIR), or PostgreSQL named with
 * --database-url (the master key in the environment, as the server has it).
 */
async function cliData(backend: Backend): Promise<{ env: Record<string, string>; args: string[]; serverEnv: Record<string, string>; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'verity-cli-'))
  if (backend === 'sqlite') return { env: { VERITY_DATA_DIR: dir }, args: [], serverEnv: {}, dir }
  const url = await freshPostgresDatabase()
  return { env: { VERITY_MASTER_KEY: SHARED_MASTER_KEY }, args: ['--database-url', url], serverEnv: { DATABASE_URL: url, VERITY_MASTER_KEY: SHARED_MASTER_KEY }, dir }
}

describe('verity hash', () => {
  it('prints the hex user hash and nothing else; the user id wins over the email', async () => {
    const res = await runVerity(['hash', '--secret', 'Jefe', '--user-id', 'what do ya want for nothing?'])
    expect(res).toMatchObject({ code: 0, stdout: '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843\n' })
    const both = await runVerity(['hash', '--secret', 's', '--user-id', '42', '--email', 'a@b.c'])
    expect(both.stdout.trim()).toBe(hmacHex('s', '42'))
    const email = await json(['hash', '--secret', 's', '--email', 'a@b.c'])
    expect(email.doc).toEqual({ user_hash: hmacHex('s', 'a@b.c') })
  })

  it('exits 2 on bad usage, with a JSON error under --json', async () => {
    const res = await json(['hash', '--secret', 's'])
    expect(res.code).toBe(2)
    expect(res.doc.error.code).toBe('invalid_usage')
    expect((await runVerity(['hash', '--user-id', '1'])).code).toBe(2)
    expect((await runVerity(['no-such-command'])).code).toBe(2)
  })
})

describe.each(BACKENDS)('apps, secrets and enforce on the same data as a running server (%s)', (backend) => {
  let server: TestServer
  let dir: string
  let env: Record<string, string>
  let dataArgs: string[]
  let appId: string
  let secrets: Record<string, { id: string; value: string }>
  /** A data command, pointed at this suite's data (human output, or --json parsed). */
  const cli = (args: string[]) => runVerity([...args, ...dataArgs], { env })
  const data = (args: string[]) => json([...args, ...dataArgs], env)
  beforeAll(async () => {
    const where = await cliData(backend)
    ;({ dir, env, args: dataArgs } = where)
    // Only serve and migrate create a database; the other commands need one.
    expect((await cli(['migrate'])).code).toBe(0)
    const created = await data(['apps', 'create', '--name', 'From the CLI', '--environment', 'test'])
    expect(created.code).toBe(0)
    appId = created.doc.app.id
    secrets = created.doc.secrets
    server = await startTestServer(where.serverEnv, dir)
  })
  afterAll(async () => {
    await server?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('apps create / list / show', async () => {
    expect(secrets.web!.value).toMatch(/^vsk_[0-9a-f]{64}$/)
    const list = await data(['apps', 'list'])
    expect(list.doc.apps.map((a: { id: string }) => a.id)).toContain(appId)
    const show = await data(['apps', 'show', appId])
    expect(show.doc.app).toMatchObject({ id: appId, name: 'From the CLI', environment: 'test' })
    const human = await cli(['apps', 'show', appId])
    expect(human.stdout).toContain(appId)
    expect(human.stdout).toContain('not enforced')
  })

  it('an unknown app exits 3 with its code; a bad environment or platform exits 2', async () => {
    const res = await data(['apps', 'show', 'app_00000000000000000000000000'])
    expect(res.code).toBe(3)
    expect(res.doc.error.code).toBe('app_not_found')
    expect((await cli(['apps', 'create', '--name', 'x', '--environment', 'staging'])).code).toBe(2)
    expect((await cli(['secrets', 'list', '--app', appId, '--platform', 'windows'])).code).toBe(2)
  })

  it('a CLI change reaches the running server within 2 s', async () => {
    const body = { app_id: appId, platform: 'android', user_id: 'cli-user' }
    expect((await server.request('POST', '/v1/messenger/auth', { body })).status).toBe(200)
    // --yes: cli-user above may or may not be in the forecast yet (statistics land within a
    // second); the confirmation itself is tested below.
    const res = await data(['enforce', 'on', '--app', appId, '--platform', 'android', '--yes'])
    expect(res.code).toBe(0)
    expect(res.doc).toMatchObject({ enforced: true, forecast: { would_be_refused: expect.any(Number) } })
    let status = 0
    for (const started = Date.now(); Date.now() - started < 2_000; await new Promise((r) => setTimeout(r, 100))) {
      status = (await server.request('POST', '/v1/messenger/auth', { body })).status
      if (status === 401) break
    }
    expect(status).toBe(401)
  })

  it('enforce on refuses without a terminal when users would be refused, and --yes enforces', async () => {
    for (let i = 0; i < 3; i++) await server.request('POST', '/v1/messenger/auth', { body: { app_id: appId, platform: 'ios', user_id: `late-${i}` } })
    await server.running.events.flush()
    const refused = await cli(['enforce', 'on', '--app', appId, '--platform', 'ios'])
    expect(refused.code).toBe(1)
    expect(refused.stdout).toMatch(/would refuse 3/)
    expect(refused.stderr).toMatch(/--yes/)
    expect((await data(['apps', 'show', appId])).doc.app.platforms.ios.enforced).toBe(false)
    const forced = await data(['enforce', 'on', '--app', appId, '--platform', 'ios', '--yes'])
    expect(forced.code).toBe(0)
    expect(forced.doc).toMatchObject({ enforced: true, forecast: { would_be_refused: 3, app_versions: [null] } })
    const off = await data(['enforce', 'off', '--app', appId, '--platform', 'ios'])
    expect(off.doc.enforced).toBe(false)
  })

  it('secrets rotate / list / revoke, with 409-style refusal of the last one (exit 3)', async () => {
    const rotated = await data(['secrets', 'rotate', '--app', appId, '--platform', 'web'])
    expect(rotated.code).toBe(0)
    const list = await data(['secrets', 'list', '--app', appId, '--platform', 'web'])
    expect(list.doc.secrets.map((s: { id: string }) => s.id)).toEqual([secrets.web!.id, rotated.doc.secret.id])
    // The server verifies with the new secret within 2 s.
    let verified = false
    for (const started = Date.now(); !verified && Date.now() - started < 2_000; await new Promise((r) => setTimeout(r, 100))) {
      const res = await server.request('POST', '/v1/messenger/auth', { body: { app_id: appId, platform: 'web', user_id: 'r', user_hash: hmacHex(rotated.doc.secret.value, 'r') } })
      verified = res.body.user?.verified === true
    }
    expect(verified).toBe(true)
    expect((await data(['secrets', 'revoke', '--app', appId, '--platform', 'web', '--secret-id', secrets.web!.id])).code).toBe(0)
    const last = await data(['secrets', 'revoke', '--app', appId, '--platform', 'web', '--secret-id', rotated.doc.secret.id])
    expect(last.code).toBe(3)
    expect(last.doc.error.code).toBe('last_active_secret')
    expect((await data(['secrets', 'revoke', '--app', appId, '--platform', 'web'])).code).toBe(2)
  })

  it('keys rotate: the running server signs with the new key within 2 s, old tokens still verify', async () => {
    const auth = () => server.request('POST', '/v1/messenger/auth', { body: { app_id: appId, platform: 'web' } })
    const before = (await auth()).body.access_token
    const rotated = await data(['keys', 'rotate'])
    expect(rotated.code).toBe(0)
    let kid = ''
    for (const started = Date.now(); kid !== rotated.doc.key_id && Date.now() - started < 2_000; await new Promise((r) => setTimeout(r, 100))) {
      kid = JSON.parse(Buffer.from((await auth()).body.access_token.split('.')[0], 'base64url').toString()).kid
    }
    expect(kid).toBe(rotated.doc.key_id)
    expect((await server.request('GET', '/v1/messenger/me', { token: before })).status).toBe(200)
  })

  it('migrate reports that everything is applied', async () => {
    const res = await data(['migrate'])
    expect(res).toMatchObject({ code: 0, doc: { applied: [] } })
    const fresh = await cliData(backend)
    try {
      const first = await json(['migrate', ...fresh.args], fresh.env)
      expect(first.doc.applied[0]).toBe('0001-configuration')
    } finally {
      rmSync(fresh.dir, { recursive: true, force: true })
    }
  })
})

describe('verity --help', () => {
  it('every command has --help', async () => {
    for (const command of [[], ['serve'], ['migrate'], ['keys', 'rotate'], ['hash'], ['apps', 'create'], ['secrets', 'revoke'], ['enforce'], ['teammates', 'add'], ['teammates', 'set-role'], ['admin-key', 'rotate']]) {
      const res = await runVerity([...command, '--help'])
      expect(res.code, command.join(' ')).toBe(0)
      expect(res.stdout).toMatch(/Usage: verity/)
    }
  })
})
