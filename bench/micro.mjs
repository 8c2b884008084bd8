// Micro-benchmarks: Verity's hot-path functions (from the built dist) next to bare node:crypto.
// Each figure is the median of 5 samples of about 200 ms after a 300 ms warm-up, on one core.
//
//   node bench/micro.mjs            a table      (npm run build first)
//   node bench/micro.mjs --json     one JSON document, for bench/hot-path.ts
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto'

const DIST = new URL('../packages/server/dist/', import.meta.url)
const load = (path) => import(new URL(path, DIST).href)
const [{ verifyUserHash }, { AccessTokenKeyring }, { authRequestSchema }, { userKey }, { DeviceIds }, { checkProof }] = await Promise.all([
  load('verification/verify-user-hash.js'),
  load('tokens/access-token-keyring.js'),
  load('http/schemas/messenger-schemas.js'),
  load('services/auth-event-buffer.js'),
  load('crypto/device-ids.js'),
  load('verification/check-proof.js'),
])

function measure(fn) {
  const sample = (ms) => {
    let n = 0
    const end = performance.now() + ms
    let now
    do {
      for (let i = 0; i < 200; i++) fn()
      n += 200
      now = performance.now()
    } while (now < end)
    return (n * 1000) / (ms + (now - end))
  }
  sample(300)
  const samples = []
  for (let i = 0; i < 5; i++) samples.push(sample(200))
  samples.sort((a, b) => a - b)
  return samples[2]
}

// --- data
const secretValue = `vsk_${randomBytes(32).toString('hex')}`
const secret = (id, value) => ({ id, value, key: Buffer.from(value, 'utf8'), verifyIdentityToken: () => null })
const one = [secret('sec_1', secretValue)]
const three = [secret('sec_1', `vsk_${randomBytes(32).toString('hex')}`), secret('sec_2', `vsk_${randomBytes(32).toString('hex')}`), secret('sec_3', secretValue)]
const userId = 'user_8f3a2c91d4e7b605'
const userHash = createHmac('sha256', secretValue).update(userId).digest('hex')
const sentHashBuffer = () => Buffer.from(userHash, 'hex')

const signingKey = { id: 'key_01', key: randomBytes(32), createdAt: new Date().toISOString() }
const keyring = new AccessTokenKeyring([signingKey], 900)
const session = { aud: 'app_01jbench0000000000000000000', trust: 'verified', plt: 'ios', sid: 'sec_01jbench00000000000000000', uid: userId }
const token = keyring.sign(session).token

// Bare HS256 with a pinned header, as small as it gets on node:crypto.
const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'at+jwt', kid: signingKey.id })).toString('base64url')
function bareSign(payload) {
  const input = `${header}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`
  return `${input}.${createHmac('sha256', signingKey.key).update(input).digest('base64url')}`
}
function bareVerify(tok) {
  const a = tok.indexOf('.')
  const b = tok.indexOf('.', a + 1)
  if (tok.slice(0, a) !== header) throw new Error('header')
  const mac = createHmac('sha256', signingKey.key).update(tok.slice(0, b)).digest()
  const sent = Buffer.from(tok.slice(b + 1), 'base64url')
  if (sent.length !== 32 || !timingSafeEqual(mac, sent)) throw new Error('signature')
  const claims = JSON.parse(Buffer.from(tok.slice(a + 1, b), 'base64url').toString('utf8'))
  if (claims.exp * 1000 <= Date.now()) throw new Error('expired')
  return claims
}
const barePayload = () => {
  const iat = Math.floor(Date.now() / 1000)
  return { iss: 'verity', sub: `uid:${userId}`, iat, exp: iat + 900, ...session }
}

const body = { app_id: 'app_01jbench0000000000000000000', platform: 'ios', user_id: userId, user_hash: userHash }
const PLATFORMS = new Set(['web', 'ios', 'android'])
function handCheck(b) {
  if (b === null || typeof b !== 'object' || Array.isArray(b)) return false
  for (const k in b) if (k !== 'app_id' && k !== 'platform' && k !== 'user_id' && k !== 'user_hash') return false
  return (
    typeof b.app_id === 'string' && b.app_id.length > 0 && b.app_id.length <= 64 &&
    PLATFORMS.has(b.platform) &&
    typeof b.user_id === 'string' && b.user_id.length > 0 && b.user_id.length <= 255 &&
    typeof b.user_hash === 'string' && b.user_hash.length <= 512
  )
}
const response = { access_token: token, token_type: 'Bearer', expires_in: 900, user: { user_id: userId, email: null, anonymous: false, verified: true } }
const deviceIds = new DeviceIds(randomBytes(32))

const cases = [
  ['verifyUserHash, 1 secret (Verity)', () => verifyUserHash(one, userId, userHash)],
  ['  bare: Buffer.from(hex) + createHmac().digest() + timingSafeEqual', () => timingSafeEqual(createHmac('sha256', one[0].key).update(userId, 'utf8').digest(), sentHashBuffer())],
  ['verifyUserHash, 3 secrets, match on the last (Verity)', () => verifyUserHash(three, userId, userHash)],
  ['checkProof, user_hash, 1 secret (Verity)', () => checkProof({ userId, email: null }, { type: 'user_hash', value: userHash }, one)],
  ['AccessTokenKeyring.sign (Verity)', () => keyring.sign(session)],
  ['  bare HS256 sign: pinned header, createHmac, base64url', () => bareSign(barePayload())],
  ['AccessTokenKeyring.verify (Verity)', () => keyring.verify(token)],
  ['  bare HS256 verify: header compare, createHmac, timingSafeEqual, JSON.parse', () => bareVerify(token)],
  ['zod authRequestSchema.safeParse (auth body)', () => authRequestSchema.safeParse(body)],
  ['  hand check of the same body', () => handCheck(body)],
  ['JSON.parse of the auth body', () => JSON.parse('{"app_id":"app_01jbench0000000000000000000","platform":"ios","user_id":"user_8f3a2c91d4e7b605","user_hash":"' + userHash + '"}')],
  ['JSON.stringify of the auth response', () => JSON.stringify(response)],
  ['randomUUID() (request id)', () => randomUUID()],
  ['userKey (sha256 of the identity, statistics buffer)', () => userKey({ userId, email: null })],
  ['DeviceIds.issue (anonymous sessions)', () => deviceIds.issue(body.app_id)],
]

const results = []
for (const [name, fn] of cases) {
  fn()
  results.push({ name, ops: measure(fn) })
  if (!process.argv.includes('--json')) process.stdout.write(`${name.padEnd(80)} ${Math.round(results.at(-1).ops).toLocaleString('en').padStart(12)} ops/s ${Math.round(1e9 / results.at(-1).ops).toLocaleString('en').padStart(7)} ns\n`)
}
if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify({ node: process.version, results })}\n`)
