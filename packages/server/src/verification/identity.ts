/**
 * Who the messenger says the user is. A user id and an email are separate namespaces: a user id
 * equal to someone's email is a different user.
 */
export interface ClaimedIdentity {
  readonly userId: string | null
  readonly email: string | null
}

export const ANONYMOUS: ClaimedIdentity = Object.freeze({ userId: null, email: null })

export function isIdentified(identity: ClaimedIdentity): boolean {
  return identity.userId !== null || identity.email !== null
}

/** The string the customer's server hashes: the user id when there is one, else the email. */
export function identifierOf(identity: ClaimedIdentity): string {
  const value = identity.userId ?? identity.email
  if (value === null) throw new TypeError('identifierOf needs an identified user')
  return value
}

/** A stable key per user that keeps the namespaces apart (used for limits, statistics, spaces). */
export function identityKey(identity: ClaimedIdentity): string {
  return identity.userId !== null ? `uid:${identity.userId}` : `email:${identity.email ?? ''}`
}

const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/

/**
 * Why an identifier is refused, or null when it is acceptable. Control characters are refused
 * because they are never part of a real id and break logs; lone surrogates because they have no
 * UTF-8 bytes, so no customer server could have hashed them.
 */
export function identifierProblem(value: string): string | null {
  if (value.length === 0) return 'must not be empty'
  // Characters are code points, as JSON Schema's maxLength counts them (an emoji is one).
  if (value.length > 255 && countCodePoints(value) > 255) return 'must be at most 255 characters'
  if (CONTROL_CHARACTERS.test(value)) return 'must not contain control characters'
  if (!value.isWellFormed()) return 'must be valid Unicode text'
  return null
}

function countCodePoints(value: string): number {
  let count = 0
  for (const _ of value) count++
  return count
}
