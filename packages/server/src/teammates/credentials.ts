import { createHash, randomBytes } from 'node:crypto'

/** A 256-bit bearer credential; the prefix lets secret scanners recognise a leaked one. */
export function newCredential(prefix: 'vpt' | 'vin' | 'vss' | 'csrf'): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`
}

/**
 * Credentials with 256 random bits need no slow hash: a SHA-256 digest is what storage holds, so a
 * database leak hands out no session, token, invite or recovery code.
 */
export function credentialDigest(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex')
}

const RECOVERY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789'

/** Ten single-use recovery codes, xxxxx-xxxxx (about 49 bits each, checked by digest, limited like passwords). */
export function newRecoveryCodes(count = 10): string[] {
  return Array.from({ length: count }, () => {
    const bytes = randomBytes(10)
    const chars = [...bytes].map((b) => RECOVERY_ALPHABET[b % RECOVERY_ALPHABET.length]).join('')
    return `${chars.slice(0, 5)}-${chars.slice(5)}`
  })
}

export function normalizeRecoveryCode(code: string): string {
  return code.trim().toLowerCase()
}
