// Runs the ES256 identity-token snippets (customer-held keys) against a real Verity server: each
// signs a token with a P-256 private key made by openssl (PKCS#8, as the docs make it), and the
// server, holding only the public key, must let the user in verified. ECDSA signatures are
// randomised, so there are no fixed vectors: the server is the check.
import { execFile, spawnSync } from 'node:child_process'
import { createPublicKey, generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../../packages/server/test/support/test-server.js'

const here = dirname(fileURLToPath(import.meta.url))
const run = promisify(execFile)
const env: NodeJS.ProcessEnv = { ...process.env, LC_ALL: 'C.UTF-8', LANG: 'C.UTF-8' }
const KID = 'snippets-2026'
// Non-ASCII and a quote: the snippets must encode the claim as JSON, in UTF-8.
const USER_ID = 'Zoë "42"'

const available = (command: string, args: string[]) => spawnSync(command, args, { env, encoding: 'utf8', timeout: 20_000 }).status === 0

interface EsSnippet {
  readonly language: string
  readonly file: string
  readonly missing: () => string | null
  readonly command: (work: string) => string[]
  readonly runEnv?: (work: string) => NodeJS.ProcessEnv
}

const SNIPPETS: readonly EsSnippet[] = [
  { language: 'Node.js', file: 'identity_token_es256.mjs', missing: () => null, command: () => ['node', join(here, 'identity_token_es256.mjs')] },
  {
    language: 'Python',
    file: 'identity_token_es256.py',
    missing: () => (available('python3', ['-c', 'import cryptography']) ? null : "python3 with the cryptography package not found (scripts/install-snippet-runtimes.sh installs Debian's python3-cryptography)"),
    command: () => ['python3', join(here, 'identity_token_es256.py')],
  },
  {
    language: 'Go',
    file: 'identity_token_es256.go',
    missing: () => (available('go', ['version']) ? null : 'go not found'),
    command: () => ['go', 'run', join(here, 'identity_token_es256.go')],
    runEnv: (work) => (process.env.HOME ? {} : { GOCACHE: join(work, 'go-cache'), GOPATH: join(work, 'go') }),
  },
  {
    language: 'Java',
    file: 'IdentityTokenEs256.java',
    missing: () => (available('java', ['-version']) ? null : 'java not found'),
    command: () => ['java', join(here, 'IdentityTokenEs256.java')],
  },
]

describe('ES256 identity-token snippets, against a server that holds only the public key', () => {
  let server: TestServer
  let appId: string
  let work: string
  let privateKeyFile: string

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'verity-es256-snippets-'))
    privateKeyFile = join(work, 'private.pem')
    // The key as the docs make it; node:crypto writes the same PKCS#8 when openssl is absent.
    const made = spawnSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', privateKeyFile], { env })
    if (made.status !== 0) writeFileSync(privateKeyFile, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }))
    server = await startTestServer()
    appId = (await server.createApp()).appId
    const jwk = { ...createPublicKey(readFileSync(privateKeyFile, 'utf8')).export({ format: 'jwk' }), kid: KID }
    expect((await server.admin('POST', `/admin/v1/apps/${appId}/platforms/web/public-keys`, { jwk })).status).toBe(201)
    expect((await server.admin('PATCH', `/admin/v1/apps/${appId}/platforms/web`, { enforced: true })).status).toBe(200)
  })
  afterAll(async () => {
    await server?.close()
    rmSync(work, { recursive: true, force: true })
  })

  const ran: string[] = []
  for (const s of SNIPPETS) {
    const reason = s.missing()
    it.skipIf(reason !== null)(`${s.language} (${s.file})${reason ? `: not run, ${reason}` : ''}`, { timeout: 120_000 }, async () => {
      const [command, ...args] = s.command(work)
      const { stdout } = await run(command!, [...args, privateKeyFile, KID, USER_ID], { env: { ...env, ...s.runEnv?.(work) }, cwd: work })
      const token = stdout.trim()
      expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{86}$/)
      expect(JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString())).toMatchObject({ alg: 'ES256', kid: KID })
      const res = await server.request('POST', '/v1/messenger/auth', { body: { app_id: appId, platform: 'web', identity_token: token } })
      expect(res.status, JSON.stringify(res.body)).toBe(200)
      expect(res.body.user).toMatchObject({ user_id: USER_ID, verified: true })
      ran.push(s.language)
    })
  }

  it('ran at least Node.js, Python, Go and Java, and docs/customer-held-keys.md shows each file as tested', () => {
    const page = readFileSync(join(here, '..', 'customer-held-keys.md'), 'utf8')
    for (const s of SNIPPETS) expect(page.includes(readFileSync(join(here, s.file), 'utf8')), `${s.file} differs from its copy in docs/customer-held-keys.md`).toBe(true)
    expect(ran.sort()).toEqual(['Go', 'Java', 'Node.js', 'Python'])
  })
})
