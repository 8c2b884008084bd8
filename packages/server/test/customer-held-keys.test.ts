import { createHmac, generateKeyPairSync } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BACKENDS, startBackendServer } from './support/backends.js'
import { epochSeconds, signHs256, signWithPrivateKey } from './support/identity-token.js'
import type { TestServer } from './support/test-server.js'

type Response = Awaited<ReturnType<TestServer['request']>>

const expectError = (res: Response, status: number, code: string) => {
  expect(res.status, JSON.stringify(res.body)).toBe(status)
  expect(res.body.error.code).toBe(code)
}

function keyPair(type: 'ES256' | 'EdDSA', kid: string) {
  const { privateKey, publicKey } = type === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519')
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid }
  return { privateKey, publicKey, jwk, alg: type, kid }
}
type Pair = ReturnType<typeof keyPair>

const claims = (userId: string, extra: Record<string, unknown> = {}) => ({ user_id: userId, iat: epochSeconds(), exp: epochSeconds(300), ...extra })
const tokenOf = (pair: Pair, userId: string, extra: Record<string, unknown> = {}, header: Record<string, unknown> = {}) =>
  signWithPrivateKey(pair.privateKey, claims(userId, extra), { alg: pair.alg, kid: pair.kid, ...header })

/** A JWKS served on loopback, whose answer a test can change, break or slow down. */
class JwksServer {
  keys: object[] = []
  status = 200
  cacheControl = 'max-age=600'
  requests = 0
  readonly #server: Server
  constructor() {
    this.#server = createServer((_req, res) => {
      this.requests++
      if (this.status !== 200) {
        res.writeHead(this.status).end('down')
        return
      }
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': this.cacheControl }).end(JSON.stringify({ keys: this.keys }))
    })
  }
  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve))
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/.well-known/jwks.json`
  }
  close(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()))
  }
}

describe.each(BACKENDS)('customer-held keys (%s)', (backend) => {
  let server: TestServer
  let appId: string
  let webSecret: string
  let clock = Date.now()
  const jwks = new JwksServer()
  let jwksUrl: string
  const es = keyPair('ES256', 'es-1')
  const ed = keyPair('EdDSA', 'ed-1')
  const base = () => `/admin/v1/apps/${appId}/platforms`

  const auth = (platform: string, token: string) => server.request('POST', '/v1/messenger/auth', { body: { app_id: appId, platform, identity_token: token } })
  const diagnosisOf = async (userId: string) => {
    await server.running.events.flush()
    const res = await server.admin('GET', `/admin/v1/apps/${appId}/failures?limit=100`)
    return (res.body.failures as Array<{ user_id: string; diagnosis: string }>).find((f) => f.user_id === userId)?.diagnosis
  }

  beforeAll(async () => {
    jwksUrl = await jwks.start()
    server = await startBackendServer(backend, { VERITY_JWKS_ALLOW_HTTP: '1' }, { jwksClock: () => clock })
    const app = await server.createApp()
    appId = app.appId
    webSecret = app.secrets.web
    for (const platform of ['web', 'ios', 'android']) {
      expect((await server.admin('PATCH', `${base()}/${platform}`, { enforced: true })).status).toBe(200)
    }
  })
  afterAll(async () => {
    await server?.close()
    await jwks.close()
  })

  it('registers an ES256 and an EdDSA JWK, lists them, and verifies tokens they sign', async () => {
    const added = await server.admin('POST', `${base()}/web/public-keys`, { jwk: es.jwk })
    expect(added.status, JSON.stringify(added.body)).toBe(201)
    expect(added.body.public_key).toMatchObject({ id: expect.stringMatching(/^pk_/), platform: 'web', kind: 'jwk', kid: 'es-1', alg: 'ES256', jwks_url: null })
    expect(added.body.public_key.jwk).toEqual({ kty: 'EC', crv: 'P-256', x: es.jwk.x, y: es.jwk.y, kid: 'es-1', alg: 'ES256' })
    expect((await server.admin('POST', `${base()}/web/public-keys`, { jwk: { ...ed.jwk, alg: 'EdDSA', use: 'sig' } })).status).toBe(201)

    const listed = await server.admin('GET', `${base()}/web/public-keys`)
    expect(listed.status).toBe(200)
    expect(listed.body.public_keys.map((k: { kid: string }) => k.kid)).toEqual(['es-1', 'ed-1'])

    for (const [pair, user] of [[es, 'es-user'], [ed, 'ed-user']] as const) {
      const res = await auth('web', tokenOf(pair, user, { email: `${user}@example.com`, attributes: { plan: 'pro' } }))
      expect(res.status, JSON.stringify(res.body)).toBe(200)
      expect(res.body.user).toMatchObject({ user_id: user, verified: true, email_verified: true })
    }
    // The fully specified name of EdDSA on Ed25519 (RFC 9864) is the same algorithm.
    expect((await auth('web', tokenOf(ed, 'ed-user-2', {}, { alg: 'Ed25519' }))).status).toBe(200)
    // HS256 with the platform secret still works beside the keys.
    expect((await auth('web', signHs256(webSecret, claims('hs-user')))).status).toBe(200)
  })

  it('keeps platforms apart: a web key verifies nothing on iOS', async () => {
    expectError(await auth('ios', tokenOf(es, 'cross-1')), 401, 'user_hash_invalid')
    expect(await diagnosisOf('cross-1')).toBe('wrong_algorithm')
  })

  it('refuses every forged variant, each with its diagnosis', async () => {
    const attacker = keyPair('ES256', 'es-1')
    const good = tokenOf(es, 'forge-tampered')
    const [h, p, s] = good.split('.') as [string, string, string]
    const otherPayload = Buffer.from(JSON.stringify(claims('forge-tampered', { user_id: 'forge-tampered', admin: true }))).toString('base64url')
    const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
    const hsOver = (key: string, user: string, kid: string) => {
      const input = `${part({ alg: 'HS256', typ: 'JWT', kid })}.${part(claims(user))}`
      return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`
    }
    const pem = es.publicKey.export({ format: 'pem', type: 'spki' }) as string
    const cases: Array<[string, string, string]> = [
      ['forge-tampered', `${h}.${otherPayload}.${s}`, 'public_key_signature'],
      ['forge-attacker', tokenOf(attacker, 'forge-attacker'), 'public_key_signature'],
      ['forge-expired', tokenOf(es, 'forge-expired', { iat: epochSeconds(-600), exp: epochSeconds(-120) }), 'expired_identity_token'],
      ['forge-lifetime', tokenOf(es, 'forge-lifetime', { iat: epochSeconds(), exp: epochSeconds(2 * 86_400) }), 'identity_token_lifetime'],
      ['forge-crit', tokenOf(es, 'forge-crit', {}, { crit: ['exp'] }), 'identity_token_crit'],
      ['forge-swap-alg', tokenOf(es, 'forge-swap-alg', {}, { alg: 'EdDSA' }), 'wrong_algorithm'],
      ['forge-swap-kid', signWithPrivateKey(ed.privateKey, claims('forge-swap-kid'), { alg: 'EdDSA', kid: 'es-1' }), 'wrong_algorithm'],
      ['forge-ed-as-es', signWithPrivateKey(ed.privateKey, claims('forge-ed-as-es'), { alg: 'ES256', kid: 'ed-1' }), 'wrong_algorithm'],
      ['forge-hs-pem', hsOver(pem, 'forge-hs-pem', 'es-1'), 'wrong_algorithm'],
      ['forge-hs-jwk', hsOver(JSON.stringify(es.jwk), 'forge-hs-jwk', 'es-1'), 'wrong_algorithm'],
      ['forge-none', `${part({ alg: 'none', kid: 'es-1' })}.${part(claims('forge-none'))}.`, 'wrong_algorithm'],
      ['forge-none-case', `${part({ alg: 'nOnE', kid: 'es-1' })}.${part(claims('forge-none-case'))}.`, 'wrong_algorithm'],
      ['forge-no-kid', tokenOf(es, 'forge-no-kid', {}, { kid: undefined }), 'unknown_public_key'],
      ['forge-unknown-kid', tokenOf(es, 'forge-unknown-kid', {}, { kid: "' OR '1'='1" }), 'unknown_public_key'],
      ['forge-jku', tokenOf(attacker, 'forge-jku', {}, { kid: 'attacker', jku: jwksUrl, jwk: attacker.jwk }), 'unknown_public_key'],
      ['forge-no-signature', `${h}.${part(claims('forge-no-signature'))}.`, 'public_key_signature'],
      ['forge-short-signature', `${h}.${p}.${s.slice(0, -2)}`.replace(p, part(claims('forge-short-signature'))), 'public_key_signature'],
      ['forge-nbf', tokenOf(es, 'forge-nbf', { nbf: epochSeconds(600) }), 'unknown'],
    ]
    const before = jwks.requests
    for (const [user, token, diagnosis] of cases) {
      expectError(await auth('web', token), 401, 'user_hash_invalid')
      expect(await diagnosisOf(user), user).toBe(diagnosis)
    }
    // A signature in another encoding (base64 with padding) is not a JWS: refused, unreadable.
    expectError(await auth('web', `${h}.${p}.${Buffer.from(s, 'base64url').toString('base64')}`), 401, 'user_hash_invalid')
    // A jku header is never fetched: the JWKS server saw nothing.
    expect(jwks.requests).toBe(before)
  })

  it('refuses private keys, RSA, symmetric keys, other curves and keys without kid, with clear 400s', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' })
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ format: 'jwk' })
    const x25519 = generateKeyPairSync('x25519').publicKey.export({ format: 'jwk' })
    const privateJwk = es.privateKey.export({ format: 'jwk' })
    const cases: Array<[unknown, string]> = [
      [{ ...privateJwk, kid: 'p' }, 'public_key_private'],
      [{ ...(ed.privateKey.export({ format: 'jwk' }) as object), kid: 'p' }, 'public_key_private'],
      [{ ...rsa, kid: 'r' }, 'public_key_unsupported'],
      [{ kty: 'oct', k: 'c2VjcmV0', kid: 'o' }, 'public_key_unsupported'],
      [{ ...p384, kid: 'c' }, 'public_key_unsupported'],
      [{ ...x25519, kid: 'x' }, 'public_key_unsupported'],
      [{ ...es.jwk, kid: undefined }, 'public_key_invalid'],
      [{ ...es.jwk, kid: 'alg', alg: 'HS256' }, 'public_key_invalid'],
      [{ ...es.jwk, kid: 'alg2', alg: 'EdDSA' }, 'public_key_invalid'],
      [{ ...es.jwk, kid: 'enc', use: 'enc' }, 'public_key_invalid'],
      [{ ...es.jwk, kid: 'off', y: es.jwk.x }, 'public_key_invalid'],
    ]
    for (const [jwk, code] of cases) expectError(await server.admin('POST', `${base()}/android/public-keys`, { jwk }), 400, code)
    expectError(await server.admin('POST', `${base()}/android/public-keys`, {}), 400, 'invalid_request')
    expectError(await server.admin('POST', `${base()}/android/public-keys`, { jwk: es.jwk, jwks_url: jwksUrl }), 400, 'invalid_request')
    expectError(await server.admin('POST', `${base()}/web/public-keys`, { jwk: es.jwk }), 409, 'public_key_exists')
    expectError(await server.admin('POST', `${base()}/desktop/public-keys`, { jwk: es.jwk }), 404, 'not_found')
    expectError(await server.admin('POST', `/admin/v1/apps/app_00000000000000000000000000/platforms/web/public-keys`, { jwk: es.jwk }), 404, 'app_not_found')
    expect((await server.admin('GET', `${base()}/android/public-keys`)).body.public_keys).toEqual([])
  })

  it('verifies ES256 and EdDSA tokens by a JWKS URL, and fetches a new kid once', async () => {
    const a = keyPair('ES256', 'jwks-es')
    const b = keyPair('EdDSA', 'jwks-ed')
    jwks.keys = [a.jwk, b.jwk, { ...(generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' }) as object), kid: 'rsa-skipped' }]
    const beforeRegistration = jwks.requests
    const added = await server.admin('POST', `${base()}/ios/public-keys`, { jwks_url: jwksUrl })
    expect(added.status, JSON.stringify(added.body)).toBe(201)
    expect(added.body.public_key).toMatchObject({ kind: 'jwks_url', jwks_url: jwksUrl, kid: null, alg: null, jwk: null })
    expect((await auth('ios', tokenOf(a, 'jwks-1'))).status).toBe(200)
    expect((await auth('ios', tokenOf(b, 'jwks-2'))).status).toBe(200)
    // The fetch that checked the URL at registration is the one the cache serves from.
    expect(jwks.requests).toBe(beforeRegistration + 1)
    const listed = (await server.admin('GET', `${base()}/ios/public-keys`)).body.public_keys
    expect(listed[0].jwks).toMatchObject({ kids: ['jwks-es', 'jwks-ed'], last_error: null })

    // The customer rotates: a new kid is served. The first token naming it waits for one fetch.
    const c = keyPair('ES256', 'jwks-new')
    jwks.keys = [a.jwk, c.jwk]
    clock += 61_000
    const before = jwks.requests
    expect((await auth('ios', tokenOf(c, 'jwks-3'))).status).toBe(200)
    expect(jwks.requests).toBe(before + 1)
    // Made-up kids within the minute cost the customer's server nothing more.
    for (let i = 0; i < 5; i++) expectError(await auth('ios', tokenOf(c, `jwks-made-up-${i}`, {}, { kid: `made-up-${i}` })), 401, 'user_hash_invalid')
    expect(jwks.requests).toBe(before + 1)
    expect(await diagnosisOf('jwks-made-up-0')).toBe('unknown_public_key')
  })

  it('refuses a JWKS URL whose answer is too large, holds no usable key, or redirects too often', async () => {
    const bad = createServer((req, res) => {
      if (req.url === '/big') res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [], padding: 'x'.repeat(70 * 1024) }))
      else if (req.url === '/rsa-only') res.end(JSON.stringify({ keys: [{ ...(generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' }) as object), kid: 'r' }] }))
      else if (req.url === '/not-json') res.end('<html>')
      else res.writeHead(302, { location: `/hop${Number(req.url!.slice(4) || 0) + 1}` }).end()
    })
    await new Promise<void>((resolve) => bad.listen(0, '127.0.0.1', resolve))
    const origin = `http://127.0.0.1:${(bad.address() as AddressInfo).port}`
    for (const path of ['/big', '/rsa-only', '/not-json', '/hop0']) {
      const res = await server.admin('POST', `${base()}/android/public-keys`, { jwks_url: `${origin}${path}` })
      expectError(res, 400, 'jwks_url_invalid')
    }
    await new Promise<void>((resolve) => bad.close(() => resolve()))
  })

  it('keeps fetched keys working through an outage of the JWKS URL for 24 hours, then refuses as jwks_unreachable', async () => {
    const key = keyPair('ES256', 'outage-es')
    jwks.keys = [key.jwk]
    jwks.status = 200
    jwks.cacheControl = 'public, max-age=3600'
    const added = await server.admin('POST', `${base()}/android/public-keys`, { jwks_url: jwksUrl })
    expect(added.status, JSON.stringify(added.body)).toBe(201)
    expect((await auth('android', tokenOf(key, 'outage-0'))).status).toBe(200)

    jwks.status = 503
    // Past the max-age (an hour; here 23 h in) a refetch fails: the keys still work.
    clock += 23 * 3600_000
    expect((await auth('android', tokenOf(key, 'outage-1'))).status).toBe(200)
    // That lookup started a fetch in the background; the list shows how it ended.
    const lastError = async () => (await server.admin('GET', `${base()}/android/public-keys`)).body.public_keys[0].jwks.last_error as string | null
    for (let i = 0; i < 100 && (await lastError()) === null; i++) await new Promise((r) => setImmediate(r))
    expect(await lastError()).toMatch(/503/)
    expect((await auth('android', tokenOf(key, 'outage-2'))).status).toBe(200)

    // 24 hours after the last good fetch, the key is no longer trusted: 401, never 503.
    clock += 3600_000 + 1
    expectError(await auth('android', tokenOf(key, 'outage-3')), 401, 'user_hash_invalid')
    expect(await diagnosisOf('outage-3')).toBe('jwks_unreachable')

    // The URL answers again: the next token after the minute fetches and verifies.
    jwks.status = 200
    clock += 61_000
    expect((await auth('android', tokenOf(key, 'outage-4'))).status).toBe(200)
  })

  it('removes a key: its tokens and the sessions it verified stop working; every change is audited', async () => {
    const key = keyPair('EdDSA', 'removed-ed')
    const added = await server.admin('POST', `${base()}/web/public-keys`, { jwk: key.jwk })
    const session = await auth('web', tokenOf(key, 'removed-1'))
    expect(session.status).toBe(200)
    const me = () => server.request('GET', '/v1/messenger/conversations', { token: session.body.access_token })
    expect((await me()).status).toBe(200)

    const removed = await server.admin('DELETE', `${base()}/web/public-keys/${added.body.public_key.id}`)
    expect(removed.status).toBe(204)
    expectError(await server.admin('DELETE', `${base()}/web/public-keys/${added.body.public_key.id}`), 404, 'not_found')
    expectError(await auth('web', tokenOf(key, 'removed-2')), 401, 'user_hash_invalid')
    expectError(await me(), 401, 'token_invalid')

    const audit = await server.admin('GET', `/admin/v1/audit-log?app_id=${appId}&limit=100`)
    const actions = (audit.body.events as Array<{ action: string; target: string; details: Record<string, unknown> | null }>).filter((e) => e.target === added.body.public_key.id)
    expect(actions.map((e) => e.action).sort()).toEqual(['public_key.added', 'public_key.removed'])
    expect(actions.find((e) => e.action === 'public_key.added')!.details).toEqual({ kind: 'jwk', kid: 'removed-ed', alg: 'EdDSA' })
  })
})

describe.each(BACKENDS)('JWKS URLs outside development (%s)', (backend) => {
  let server: TestServer
  let appId: string
  beforeAll(async () => {
    server = await startBackendServer(backend)
    appId = (await server.createApp()).appId
  })
  afterAll(async () => {
    await server?.close()
  })

  it('refuses http, loopback, private and link-local URLs without connecting', async () => {
    let connections = 0
    const listener = createServer((_req, res) => {
      connections++
      res.end('{}')
    })
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve))
    const port = (listener.address() as AddressInfo).port
    const path = `/admin/v1/apps/${appId}/platforms/web/public-keys`
    for (const url of [
      `http://127.0.0.1:${port}/jwks`,
      `https://127.0.0.1:${port}/jwks`,
      `https://localhost:${port}/jwks`,
      'https://169.254.169.254/latest/meta-data',
      'https://10.0.0.1/jwks',
      'https://[::1]/jwks',
      'https://[::ffff:127.0.0.1]/jwks',
      'https://user:pass@example.com/jwks',
      'not a url',
    ]) {
      expectError(await server.admin('POST', path, { jwks_url: url }), 400, 'jwks_url_invalid')
    }
    expect(connections).toBe(0)
    await new Promise<void>((resolve) => listener.close(() => resolve()))
  })
})
