import { createHmac, sign } from 'node:crypto'

/**
 * An HS256 JWT made with node:crypto alone, as a customer's server without a JWT library would:
 * independent of the fast-jwt the server verifies with, so the two check each other.
 */
export function signHs256(key: string, claims: Record<string, unknown>, header: Record<string, unknown> = {}): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url')
  const input = `${part({ alg: 'HS256', typ: 'JWT', ...header })}.${part(claims)}`
  return `${input}.${createHmac('sha256', key).update(input, 'utf8').digest('base64url')}`
}

/** Seconds since the epoch, as `exp` wants them. */
export const epochSeconds = (offsetSeconds = 0): number => Math.floor(Date.now() / 1000) + offsetSeconds

/**
 * An ES256 or EdDSA JWT made with node:crypto alone, as a customer's server would sign with its
 * private key; `header` members override or add to `{alg, typ, kid}`.
 */
export function signWithPrivateKey(privateKey: import('node:crypto').KeyObject, claims: Record<string, unknown>, header: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url')
  const input = `${part({ typ: 'JWT', ...header })}.${part(claims)}`
  const ec = privateKey.asymmetricKeyType === 'ec'
  const signature = ec ? sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }) : sign(null, Buffer.from(input), privateKey)
  return `${input}.${signature.toString('base64url')}`
}
