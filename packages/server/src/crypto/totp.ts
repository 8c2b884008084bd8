import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { base32Encode as encode } from './base32.js'

// RFC 4648 base32 (authenticator apps read secrets in it), without padding.
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'

export function base32Encode(bytes: Uint8Array): string {
  return encode(bytes, ALPHABET)
}

export function base32Decode(text: string): Buffer {
  const clean = text.replace(/=+$/, '').toUpperCase()
  const out: number[] = []
  let buffer = 0
  let bits = 0
  for (const char of clean) {
    const value = ALPHABET.indexOf(char)
    if (value === -1) throw new TypeError('not base32')
    buffer = ((buffer << 5) | value) & 0xffff
    bits += 5
    if (bits >= 8) {
      out.push((buffer >>> (bits - 8)) & 0xff)
      bits -= 8
    }
  }
  return Buffer.from(out)
}

/** 160 bits, the size RFC 4226 recommends for HMAC-SHA-1. */
export function newTotpSecret(): Buffer {
  return randomBytes(20)
}

/** RFC 4226 HOTP, dynamic truncation, `digits` decimal digits. */
export function hotp(key: Uint8Array, counter: number, digits = 6, algorithm: 'sha1' | 'sha256' | 'sha512' = 'sha1'): string {
  const message = Buffer.alloc(8)
  message.writeBigUInt64BE(BigInt(counter))
  const mac = createHmac(algorithm, key).update(message).digest()
  const offset = mac[mac.length - 1]! & 0x0f
  const binary = ((mac[offset]! & 0x7f) << 24) | (mac[offset + 1]! << 16) | (mac[offset + 2]! << 8) | mac[offset + 3]!
  return String(binary % 10 ** digits).padStart(digits, '0')
}

/** RFC 6238 TOTP: the time step of `unixSeconds` (T0 = 0, X = 30 s). */
export function totp(key: Uint8Array, unixSeconds: number, digits = 6, algorithm: 'sha1' | 'sha256' | 'sha512' = 'sha1'): string {
  return hotp(key, Math.floor(unixSeconds / 30), digits, algorithm)
}

/**
 * The time step whose code `code` is, among the current step and one either side (clock drift of
 * up to 30 s, as RFC 6238 section 5.2 allows), or null. Comparison is constant-time. The caller
 * refuses a step already used (the same section: a code is accepted once).
 */
export function matchTotp(key: Uint8Array, code: string, unixSeconds: number): number | null {
  if (!/^\d{6}$/.test(code)) return null
  const now = Math.floor(unixSeconds / 30)
  let matched: number | null = null
  for (const step of [now - 1, now, now + 1]) {
    if (timingSafeEqual(Buffer.from(hotp(key, step)), Buffer.from(code))) matched = step
  }
  return matched
}

export function verifyTotp(key: Uint8Array, code: string, unixSeconds: number): boolean {
  return matchTotp(key, code, unixSeconds) !== null
}

export function otpauthUrl(key: Uint8Array, account: string, issuer = 'Verity'): string {
  const label = encodeURIComponent(`${issuer}:${account}`)
  return `otpauth://totp/${label}?secret=${base32Encode(key)}&issuer=${encodeURIComponent(issuer)}&algorithm=SHA1&digits=6&period=30`
}
