/**
 * Checks an identity against the rules Verity applies to `user_id` and `email`, so that a mistake
 * throws here, on your server, instead of failing later as a 400 or a hash that never verifies.
 *
 * @module
 */

import { describe } from './describe.js'

const MAX_LENGTH = 255
const CONTROL = /\p{Cc}/u
// A lone surrogate has no UTF-8 encoding of its own (Node writes U+FFFD instead), so the bytes
// hashed here and the bytes Verity receives could disagree.
const LONE_SURROGATE = /\p{Cs}/u

/** An identity that passed the checks, and the identifier Verity will know the user by. */
export interface CheckedIdentity {
  readonly userId: string | undefined
  readonly email: string | undefined
  /** `userId` when given, else `email`: what Verity identifies the user by, and what is hashed. */
  readonly identifier: string
}

/**
 * Throws a TypeError unless `identity` is an object whose only fields are among `fields`, with a
 * valid `userId` and/or `email`.
 */
export function checkIdentity(
  fn: string,
  identity: unknown,
  fields: readonly string[],
): CheckedIdentity {
  if (typeof identity !== 'object' || identity === null || Array.isArray(identity)) {
    throw new TypeError(
      `${fn}: identity must be an object such as { userId: '42' }, got ${describe(identity)}`,
    )
  }
  // An unknown field is most often a misspelt `userId`; ignoring it would hash the email instead,
  // which Verity refuses once the app sends the user id.
  for (const key of Object.keys(identity)) {
    if (!fields.includes(key)) throw new TypeError(`${fn}: ${unknownField(key, fields)}`)
  }
  const given = identity as Record<string, unknown>
  const userId = optionalIdentifier(fn, 'userId', given.userId)
  const email = optionalIdentifier(fn, 'email', given.email)
  const identifier = userId ?? email
  if (identifier === undefined) {
    throw new TypeError(
      `${fn}: identity needs a userId or an email (anonymous users need no proof)`,
    )
  }
  return { userId, email, identifier }
}

function optionalIdentifier(fn: string, name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined
  const field = `identity.${name}`
  if (typeof value !== 'string') {
    const hint =
      typeof value === 'number' || typeof value === 'bigint'
        ? '; ids are strings to Verity (it refuses JSON numbers), so pass String(id)'
        : value === null
          ? '; leave it out when the user has none'
          : ''
    throw new TypeError(`${fn}: ${field} must be a string, got ${describe(value)}${hint}`)
  }
  if (value === '') {
    throw new TypeError(`${fn}: ${field} is empty; leave it out when the user has none`)
  }
  const control = CONTROL.exec(value)
  if (control) {
    throw new TypeError(
      `${fn}: ${field} contains the control character ${codePoint(control[0])}, ` +
        'which Verity refuses with 400 invalid_request',
    )
  }
  if (LONE_SURROGATE.test(value)) {
    throw new TypeError(
      `${fn}: ${field} is not well-formed Unicode (it has a lone surrogate), ` +
        'so it has no exact UTF-8 form',
    )
  }
  // Characters are code points, as JSON Schema's maxLength counts them, not UTF-16 code units.
  const length = [...value].length
  if (length > MAX_LENGTH) {
    throw new TypeError(
      `${fn}: ${field} is ${length} characters long; Verity accepts at most ${MAX_LENGTH}`,
    )
  }
  return value
}

function unknownField(key: string, fields: readonly string[]): string {
  if (key === 'attributes') {
    return 'a user hash cannot carry attributes; sign them with signIdentityToken()'
  }
  const squash = (name: string) => name.toLowerCase().replaceAll('_', '')
  const meant = fields.find((field) => squash(field) === squash(key))
  const hint = meant ? `did you mean "${meant}"?` : `the fields are ${fields.join(', ')}`
  return `identity has an unknown field "${key}"; ${hint}`
}

function codePoint(char: string): string {
  return `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`
}
