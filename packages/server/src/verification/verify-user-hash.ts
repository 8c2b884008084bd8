import { createHmac, timingSafeEqual } from 'node:crypto'
import type { VerifyingSecret } from './verifying-secret.js'

const HEX_SHA256 = /^[0-9a-fA-F]{64}$/

/** hex(HMAC-SHA256(key = secret's UTF-8 bytes, message = identifier's UTF-8 bytes)). */
export function computeUserHash(secretKey: Buffer | string, identifier: string): string {
  return createHmac('sha256', secretKey).update(identifier, 'utf8').digest('hex')
}

/**
 * Checks a user hash against every active secret of one platform of one app (rotation keeps
 * several), comparing in constant time. Returns the id of the secret that verified it, or null.
 */
export function verifyUserHash(secrets: readonly VerifyingSecret[], identifier: string, userHash: string): string | null {
  if (!HEX_SHA256.test(userHash)) return null
  const sent = Buffer.from(userHash, 'hex')
  for (const secret of secrets) {
    const expected = createHmac('sha256', secret.key).update(identifier, 'utf8').digest()
    if (timingSafeEqual(expected, sent)) return secret.id
  }
  return null
}
