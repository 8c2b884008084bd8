import { execFileSync } from 'node:child_process'
import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signIdentityToken } from '@verity/node'
import { BACKENDS, backendEnv } from './support/backends.js'
import { runVerity } from './support/run-cli.js'
import { startTestServer, type TestServer } from './support/test-server.js'

describe.each(BACKENDS)('verity keys public add|list|remove, as the docs set it up (%s)', (backend) => {
  let dir: string
  let env: Record<string, string>
  let appId: string
  let server: TestServer
  const json = async (args: string[], extraEnv: Record<string, string> = {}) => {
    const res = await runVerity([...args, '--json'], { env: { ...env, ...extraEnv }, cwd: dir })
    return { ...res, doc: res.stdout.trim() === '' ? undefined : JSON.parse(res.stdout) }
  }
  const scope = () => ['--app', appId, '--platform', 'web']
  const auth = (token: string) => server.request('POST', '/v1/messenger/auth', { body: { app_id: appId, platform: 'web', identity_token: token } })
  const sign = (userId: string) => signIdentityToken(readFileSync(join(dir, 'private.pem'), 'utf8'), { userId }, { expiresIn: 600, keyId: '2026-01' })

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'verity-cli-keys-'))
    env = { VERITY_DATA_DIR: dir, ...(await backendEnv(backend)) }
    expect((await runVerity(['migrate'], { env })).code).toBe(0)
    appId = (await json(['apps', 'create', '--name', 'Keys', '--environment', 'test'])).doc.app.id
    // The two openssl commands of docs/customer-held-keys.md and the @verity/node README.
    execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'private.pem'], { cwd: dir })
    execFileSync('openssl', ['pkey', '-in', 'private.pem', '-pubout', '-out', 'public.pem'], { cwd: dir })
  })
  afterAll(async () => {
    await server?.close({ keepData: true })
    rmSync(dir, { recursive: true, force: true })
  })

  it('adds the PEM public key under a kid; a server on the data verifies tokens the private key signs', async () => {
    const added = await runVerity(['keys', 'public', 'add', ...scope(), '--pem', 'public.pem', '--kid', '2026-01'], { env, cwd: dir })
    expect(added.code, added.stderr).toBe(0)
    expect(added.stdout).toMatch(/^Added pk_\w+ {2}ES256 key, kid 2026-01/)
    server = await startTestServer(env, dir)
    expect((await server.admin('PATCH', `/admin/v1/apps/${appId}/platforms/web`, { enforced: true })).status).toBe(200)
    const res = await auth(sign('cli-user'))
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body.user).toMatchObject({ user_id: 'cli-user', verified: true })
  })

  it('lists the keys, and refuses a private key, a duplicate kid, a JWK file with a private key and an http JWKS URL', async () => {
    const list = await json(['keys', 'public', 'list', ...scope()])
    expect(list.doc.public_keys).toMatchObject([{ kind: 'jwk', kid: '2026-01', alg: 'ES256' }])

    const privatePem = await json(['keys', 'public', 'add', ...scope(), '--pem', 'private.pem', '--kid', 'k2'])
    expect(privatePem.code).toBe(2)
    expect(privatePem.doc.error.code).toBe('invalid_usage')
    expect((await json(['keys', 'public', 'add', ...scope(), '--pem', 'public.pem'])).code).toBe(2)
    expect((await json(['keys', 'public', 'add', ...scope()])).code).toBe(2)

    const again = await json(['keys', 'public', 'add', ...scope(), '--pem', 'public.pem', '--kid', '2026-01'])
    expect(again.code).toBe(3)
    expect(again.doc.error.code).toBe('public_key_exists')

    writeFileSync(join(dir, 'private.jwk'), JSON.stringify({ ...generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' }), kid: 'ed' }))
    const privateJwk = await json(['keys', 'public', 'add', ...scope(), '--jwk', 'private.jwk'])
    expect(privateJwk.code).toBe(3)
    expect(privateJwk.doc.error.code).toBe('public_key_private')

    const http = await json(['keys', 'public', 'add', ...scope(), '--jwks-url', 'http://127.0.0.1:9/jwks.json'])
    expect(http.code).toBe(3)
    expect(http.doc.error).toMatchObject({ code: 'jwks_url_invalid', message: expect.stringMatching(/VERITY_JWKS_ALLOW_HTTP/) })
  })

  it('removes the key: the server refuses its tokens within the configuration refresh; an unknown id exits 3', async () => {
    const id = (await json(['keys', 'public', 'list', ...scope()])).doc.public_keys[0].id
    const removed = await runVerity(['keys', 'public', 'remove', ...scope(), '--public-key-id', id], { env, cwd: dir })
    expect(removed).toMatchObject({ code: 0, stdout: `Removed ${id}.\n` })
    let status = 200
    for (let i = 0; i < 100 && status === 200; i++) {
      status = (await auth(sign('cli-user-2'))).status
      if (status === 200) await new Promise((resolve) => setTimeout(resolve, 100))
    }
    expect(status).toBe(401)
    const again = await json(['keys', 'public', 'remove', ...scope(), '--public-key-id', id])
    expect(again.code).toBe(3)
    expect(again.doc.error.code).toBe('not_found')
    const audit = await server.admin('GET', `/admin/v1/audit-log?app_id=${appId}`)
    expect(audit.body.events.filter((e: { target: string }) => e.target === id).map((e: { action: string; actor: string }) => [e.action, e.actor.split(':')[0]])).toEqual([
      ['public_key.removed', 'cli'],
      ['public_key.added', 'cli'],
    ])
  })

  it('the JWK command of docs/customer-held-keys.md prints a key the admin API registers; tokens signed under its kid verify', async () => {
    const doc = readFileSync(new URL('../../../docs/customer-held-keys.md', import.meta.url), 'utf8')
    const command = /```sh\n\s*(node -e "[\s\S]*?")\n\s*```/.exec(doc)?.[1]
    expect(command, 'the node -e command that prints the JWK').toBeDefined()
    const printed = execFileSync('sh', ['-c', command!], { cwd: dir, encoding: 'utf8' })
    const jwk = JSON.parse(printed) as Record<string, unknown>
    expect(jwk).toMatchObject({ kty: 'EC', crv: 'P-256', kid: '2026-01' })
    const added = await server.admin('POST', `/admin/v1/apps/${appId}/platforms/web/public-keys`, { jwk })
    expect(added.status, JSON.stringify(added.body)).toBe(201)
    let status = 401
    for (let i = 0; i < 100 && status !== 200; i++) {
      status = (await auth(sign('jwk-user'))).status
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 100))
    }
    expect(status).toBe(200)
  })
})
