import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto'

/**
 * scrypt at OWASP's parameters (Password Storage Cheat Sheet: N = 2^17, r = 8, p = 1), 128 MiB
 * and a few hundred milliseconds per hash. The parameters are stored with each hash, so raising
 * them later leaves older hashes verifiable.
 * Format: `scrypt$<log2 N>$<r>$<p>$<salt base64url>$<hash base64url>`.
 */
export const OWASP_LOG_N = 17
const R = 8
const P = 1
const KEY_LENGTH = 32

function derive(password: string, salt: Buffer, logN: number, r: number, p: number): Promise<Buffer> {
  const N = 2 ** logN
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, KEY_LENGTH, { N, r, p, maxmem: 128 * N * r * p + 16 * 1024 * 1024 }, (error, key) => (error ? reject(error) : resolve(key)))
  })
}

export async function hashPassword(password: string, logN: number = OWASP_LOG_N): Promise<string> {
  const salt = randomBytes(16)
  const key = await derive(password, salt, logN, R, P)
  return `scrypt$${logN}$${R}$${P}$${salt.toString('base64url')}$${key.toString('base64url')}`
}

const FORMAT = /^scrypt\$(\d{1,2})\$(\d{1,2})\$(\d{1,2})\$([\w-]+)\$([\w-]+)$/

/** Constant-time comparison; a malformed stored hash never verifies. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const m = FORMAT.exec(stored)
  if (!m) return false
  const [logN, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])]
  if (logN < 10 || logN > 20 || r < 1 || r > 16 || p < 1 || p > 4) return false
  const expected = Buffer.from(m[5]!, 'base64url')
  const key = await derive(password, Buffer.from(m[4]!, 'base64url'), logN, r, p)
  return expected.length === key.length && timingSafeEqual(expected, key)
}
