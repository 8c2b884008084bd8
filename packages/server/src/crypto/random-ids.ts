import { randomBytes } from 'node:crypto'
import { base32Encode } from './base32.js'

// Crockford base32: no I, L, O, U, so ids survive being read aloud or copied by hand.
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'

function base32(bytes: Uint8Array): string {
  return base32Encode(bytes, ALPHABET)
}

/**
 * A time-ordered id: 48 bits of milliseconds then 80 random bits, so that sorting ids sorts by
 * creation and lists can page by id alone.
 */
export function newId(prefix: string, now: number = Date.now()): string {
  const bytes = randomBytes(16)
  let t = now
  for (let i = 5; i >= 0; i--) {
    bytes[i] = t % 256
    t = Math.floor(t / 256)
  }
  return `${prefix}_${base32(bytes)}`
}

/**
 * The smallest id of `prefix` at time `at`: every id made at or after `at` sorts after it. Used
 * as a resume point ("everything after this moment") that names no real object.
 */
export function idFloor(prefix: string, at: number): string {
  const bytes = new Uint8Array(16)
  let t = Math.max(0, Math.floor(at))
  for (let i = 5; i >= 0; i--) {
    bytes[i] = t % 256
    t = Math.floor(t / 256)
  }
  return `${prefix}_${base32(bytes)}`
}

/** A 256-bit platform secret. The prefix lets secret scanners recognise a leaked one. */
export function newPlatformSecret(): string {
  return `vsk_${randomBytes(32).toString('hex')}`
}

/** A 256-bit admin key, shown once. */
export function newAdminKey(): string {
  return `vak_${randomBytes(32).toString('base64url')}`
}
