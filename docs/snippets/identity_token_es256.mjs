// Verity identity token signed ES256 with your own private key, in Node.js (node:crypto only).
// Usage: node identity_token_es256.mjs PRIVATE_KEY_PEM_FILE KID USER_ID
// The key: openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out private.pem
import { createPrivateKey, sign } from 'node:crypto'
import { readFileSync } from 'node:fs'

const [pemFile, kid, userId] = process.argv.slice(2)
const key = createPrivateKey(readFileSync(pemFile, 'utf8'))
const b64url = (json) => Buffer.from(JSON.stringify(json), 'utf8').toString('base64url')
const iat = Math.floor(Date.now() / 1000)
const input = `${b64url({ alg: 'ES256', typ: 'JWT', kid })}.${b64url({ user_id: userId, iat, exp: iat + 600 })}`
// JWS wants the raw r||s signature (64 bytes), not the DER that sign() gives by default.
const signature = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' })
console.log(`${input}.${signature.toString('base64url')}`)
