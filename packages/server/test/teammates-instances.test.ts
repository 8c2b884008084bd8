// Two instances on one database, and the CLI beside them: ending a session, a teammate or the
// admin key takes effect everywhere within 2 s. The first owner comes from the CLI alone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backendEnv, BACKENDS } from './support/backends.js'
import { runVerity } from './support/run-cli.js'
import { GOOD_PASSWORD, signIn, TEST_SCRYPT_ENV } from './support/teammates.js'
import { startTestServer, TEST_ADMIN_KEY, type TestServer } from './support/test-server.js'

const PROPAGATION_MS = 2_000

async function within(ms: number, what: string, check: () => Promise<boolean>): Promise<void> {
  const started = Date.now()
  for (;;) {
    if (await check()) return
    if (Date.now() - started > ms) throw new Error(`${what}: not within ${ms} ms`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

describe.each(BACKENDS)('teammates across instances and the CLI (%s)', (backend) => {
  let a: TestServer
  let b: TestServer
  let cliEnv: Record<string, string>
  const cli = async (args: string[], input?: string, env: Record<string, string> = {}) => {
    const res = await runVerity([...args, '--json'], { env: { ...cliEnv, ...env }, ...(input !== undefined && { input }) })
    return { ...res, doc: res.stdout ? JSON.parse(res.stdout) : null }
  }

  beforeAll(async () => {
    const env = { ...(await backendEnv(backend)), ...TEST_SCRYPT_ENV, VERITY_ADMIN_GUESS_RATE: '1000' }
    a = await startTestServer(env)
    b = await startTestServer(env, a.dataDir)
    cliEnv = { ...env, VERITY_DATA_DIR: a.dataDir }
  })
  afterAll(async () => {
    await b.close({ keepData: true })
    await a.close()
  })

  it('the first owner comes from `teammates add --password-stdin`; an invite needs a public URL', async () => {
    // Listening beyond loopback, the CLI cannot know the address people use: it asks for one.
    const added = await cli(['teammates', 'add', '--email', 'first@example.com', '--role', 'owner'], undefined, { HOST: '0.0.0.0' })
    expect(added.code).toBe(2)
    expect(added.doc.error.message).toMatch(/--public-url/)
    const weak = await cli(['teammates', 'add', '--email', 'first@example.com', '--role', 'owner', '--password-stdin'], 'password1234\n')
    expect(weak.code).toBe(2)
    expect(weak.doc.error.code).toBe('invalid_request')
    const made = await cli(['teammates', 'add', '--email', 'first@example.com', '--role', 'owner', '--password-stdin'], `${GOOD_PASSWORD}\n`)
    expect(made.code).toBe(0)
    expect(made.doc.teammate).toMatchObject({ email: 'first@example.com', role: 'owner', active: true })
    expect(made.stdout).not.toContain(GOOD_PASSWORD)
    await signIn(a, 'first@example.com')
    const invited = await cli(['teammates', 'add', '--email', 'second@example.com', '--role', 'admin', '--public-url', 'https://verity.example.com/'])
    expect(invited.code).toBe(0)
    expect(invited.doc.invite_url).toMatch(/^https:\/\/verity\.example\.com\/#invite=vin_[\w-]{43}$/)
    const token = invited.doc.invite_url.split('#invite=')[1]
    expect((await b.request('POST', '/admin/v1/invites/accept', { body: { token, password: GOOD_PASSWORD } })).status).toBe(200)
    const list = await cli(['teammates', 'list'])
    expect(list.doc.teammates.map((t: any) => [t.email, t.role, t.active])).toEqual([
      ['first@example.com', 'owner', true],
      ['second@example.com', 'admin', true],
    ])
  })

  it('without a public URL, an invite link points where `verity serve` listens on loopback (after npm start)', async () => {
    const byDefault = await cli(['teammates', 'add', '--email', 'local@example.com', '--role', 'agent'])
    expect(byDefault.code).toBe(0)
    expect(byDefault.doc.invite_url).toMatch(/^http:\/\/127\.0\.0\.1:8080\/#invite=vin_[\w-]{43}$/)
    const otherPort = await cli(['teammates', 'add', '--email', 'local2@example.com', '--role', 'agent'], undefined, { HOST: 'localhost', PORT: '9090' })
    expect(otherPort.doc.invite_url).toMatch(/^http:\/\/localhost:9090\/#invite=/)
    const badPort = await cli(['teammates', 'add', '--email', 'local3@example.com', '--role', 'agent'], undefined, { PORT: 'eighty' })
    expect(badPort.code).toBe(3)
    expect(badPort.doc.error).toMatchObject({ code: 'configuration', message: expect.stringMatching(/PORT/) })
    for (const email of ['local@example.com', 'local2@example.com']) expect((await cli(['teammates', 'remove', email])).code).toBe(0)
  })

  it('the last owner rule holds in the CLI too (exit 3, last_owner)', async () => {
    const demote = await cli(['teammates', 'set-role', 'first@example.com', '--role', 'agent'])
    expect(demote.code).toBe(3)
    expect(demote.doc.error.code).toBe('last_owner')
    const remove = await cli(['teammates', 'remove', 'first@example.com'])
    expect(remove.code).toBe(3)
    expect(remove.doc.error.code).toBe('last_owner')
  })

  it('removing a teammate through one instance ends their session on the other within 2 s', async () => {
    const session = await signIn(a, 'second@example.com')
    expect((await session.call('GET', '/admin/v1/session')).status).toBe(200)
    const id = (await b.admin('GET', '/admin/v1/teammates')).body.teammates.find((t: any) => t.email === 'second@example.com').id
    expect((await cli(['teammates', 'set-role', 'second@example.com', '--role', 'agent'])).code).toBe(0)
    await within(PROPAGATION_MS, 'a role change ends the session', async () => (await session.call('GET', '/admin/v1/session')).status === 401)
    const again = await signIn(a, 'second@example.com')
    const removed = await b.request('DELETE', `/admin/v1/teammates/${id}`, { token: TEST_ADMIN_KEY })
    expect(removed.status).toBe(204)
    await within(PROPAGATION_MS, 'removal ends the session', async () => (await again.call('GET', '/admin/v1/session')).status === 401)
    const after = await a.request('GET', '/admin/v1/apps', { headers: { cookie: again.cookie } })
    expect({ status: after.status, code: after.body.error.code }).toEqual({ status: 401, code: 'unauthorized' })
  })

  it('`admin-key rotate` ends VERITY_ADMIN_KEY on every instance within 2 s and prints a working key; `disable` ends that one', async () => {
    expect((await a.admin('GET', '/admin/v1/apps')).status).toBe(200)
    const rotated = await cli(['admin-key', 'rotate'])
    expect(rotated.code).toBe(0)
    const key = rotated.doc.admin_key as string
    expect(key).toMatch(/^vak_/)
    for (const server of [a, b]) {
      await within(PROPAGATION_MS, 'the old key ends', async () => (await server.admin('GET', '/admin/v1/apps')).status === 401)
      await within(PROPAGATION_MS, 'the new key works', async () => (await server.request('GET', '/admin/v1/apps', { token: key })).status === 200)
    }
    // Teammates keep working.
    const owner = await signIn(b, 'first@example.com')
    const audit = (await owner.call('GET', '/admin/v1/audit-log?limit=100')).body.events
    expect(audit.find((e: any) => e.action === 'admin_key.rotated')).toMatchObject({ actor: expect.stringMatching(/^cli:/) })
    expect(JSON.stringify(audit)).not.toContain(key)
    expect((await cli(['admin-key', 'disable'])).code).toBe(0)
    for (const server of [a, b]) await within(PROPAGATION_MS, 'disable ends the key', async () => (await server.request('GET', '/admin/v1/apps', { token: key })).status === 401)
    expect((await owner.call('GET', '/admin/v1/apps')).status).toBe(200)
  })
})
