import { readFileSync } from 'node:fs'
import { VerityError } from '../errors/verity-error.js'

export const MIN_PASSWORD_LENGTH = 12
/** Long enough for any passphrase; bounded, since every character is hashed at a high cost. */
export const MAX_PASSWORD_LENGTH = 256

let common: ReadonlySet<string> | null = null

/** The shipped list (packages/server/data/common-passwords.txt), read once, never fetched. */
function commonPasswords(): ReadonlySet<string> {
  common ??= new Set(
    readFileSync(new URL('../../data/common-passwords.txt', import.meta.url), 'utf8')
      .split('\n')
      .map((line) => line.trim().toLowerCase())
      .filter((line) => line !== '' && !line.startsWith('#')),
  )
  return common
}

/** Why a new password is refused, or null. Length in characters (code points), as people count. */
export function passwordProblem(password: string, email?: string): string | null {
  const length = [...password].length
  if (length < MIN_PASSWORD_LENGTH) return `The password needs at least ${MIN_PASSWORD_LENGTH} characters.`
  if (length > MAX_PASSWORD_LENGTH) return `The password may have at most ${MAX_PASSWORD_LENGTH} characters.`
  const folded = password.toLowerCase()
  if (commonPasswords().has(folded)) return 'This password is on the list of common passwords. Choose another.'
  if (new Set(folded).size < 4) return 'The password repeats too few characters. Choose another.'
  if (email !== undefined && folded.includes(email.toLowerCase())) return 'The password must not contain the email address.'
  return null
}

export function assertAcceptablePassword(password: string, email?: string): void {
  const problem = passwordProblem(password, email)
  if (problem) throw new VerityError('invalid_request', problem)
}
