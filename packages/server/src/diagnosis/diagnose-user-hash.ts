import type { CandidateSecret, Diagnosis, DiagnosisContext } from './diagnosis.js'
import { meteredHmac, unlessBudgetSpent, type DiagnosisAlgorithm } from './diagnose-hmac.js'
import type { WorkBudget } from './work-budget.js'

/*
 * Why a `user_hash` failed, for the admin's failure log and `verity verify`.
 *
 * The sent hash's shape is read first, for free: every mistake produces a string of a known length
 * and alphabet, so a hash of any other shape can match nothing and is `malformed_hash` without one
 * HMAC, and a hash of one shape only runs the checks that can produce that shape. A flood of garbage
 * costs nothing; a flood of well-formed wrong hashes costs what the budget allows.
 *
 * Among the SHA-256-hex mistakes the order is by how many HMACs a check needs, smallest sets first:
 * variants of the identifier under the active secrets (a small multiple of the one or two active
 * secrets), then one HMAC keyed with the app id, then the revoked and other-platform secrets (which
 * grow with every rotation), then every other app's secrets, lazily, last. Each check tries an exact
 * (algorithm, key, message, encoding) of its own, so the order decides cost, not the answer; the one
 * overlap by construction is an email equal to the identifier with its case changed, which is
 * reported as `email_hashed_instead_of_user_id` because that is the more specific mistake.
 *
 * Comparisons are plain string equality, not constant-time: this runs after the proof has already
 * been refused, grants nothing, and its answer is shown to admins only, never to the client.
 */

/** HMACs of the wrong algorithms, recognised by their hex length. */
const WRONG_ALGORITHMS = new Map<number, DiagnosisAlgorithm>([
  [40, 'sha1'],
  [32, 'md5'],
  [128, 'sha512'],
])

const HEX = /^[0-9a-f]+$/
// 32 bytes in base64 or base64url is 43 characters (44 padded); the hex digest's 64 characters
// encoded again, as PHP's base64_encode(hash_hmac(...)) does, are 86 (88 padded).
const BASE64_LIKE = /^[A-Za-z0-9+/_-]+={0,2}$/
const BASE64_LENGTHS = new Set([43, 44, 86, 88])

export function diagnoseUserHash(ctx: DiagnosisContext, userHash: string, budget: WorkBudget): Diagnosis {
  return unlessBudgetSpent(() => search(ctx, userHash, budget), 'unknown')
}

function search(ctx: DiagnosisContext, userHash: string, budget: WorkBudget): Diagnosis {
  const identifier = ctx.userId ?? ctx.email
  // Hex is accepted in either case, so the hex checks compare lower case; base64 is case-sensitive.
  const hex = userHash.toLowerCase()
  const isHex = HEX.test(hex)

  if (isHex && hex.length === 64) {
    return identifier === null ? 'unknown' : searchSha256Hex(ctx, identifier, hex, budget)
  }
  if (identifier === null) return 'malformed_hash'

  const algorithm = isHex ? WRONG_ALGORITHMS.get(hex.length) : undefined
  if (algorithm !== undefined) {
    const sentWith = (secret: CandidateSecret) =>
      meteredHmac(budget, algorithm, secret.value, identifier).toString('hex') === hex
    return ctx.activeSecrets.some(sentWith) ? 'wrong_algorithm' : 'malformed_hash'
  }

  if (BASE64_LENGTHS.has(userHash.length) && BASE64_LIKE.test(userHash)) {
    const sentWith = (secret: CandidateSecret) =>
      base64Encodings(meteredHmac(budget, 'sha256', secret.value, identifier)).includes(userHash)
    if (ctx.activeSecrets.some(sentWith)) return 'base64_instead_of_hex'
  }
  return 'malformed_hash'
}

function searchSha256Hex(ctx: DiagnosisContext, identifier: string, hex: string, budget: WorkBudget): Diagnosis {
  const matches = (key: string, message: string) => meteredHmac(budget, 'sha256', key, message).toString('hex') === hex
  const underActive = (message: string) => ctx.activeSecrets.some((secret) => matches(secret.value, message))
  const underAny = (secrets: Iterable<CandidateSecret>) => {
    for (const secret of secrets) if (matches(secret.value, identifier)) return true
    return false
  }

  if (ctx.userId !== null && ctx.email !== null && ctx.email !== ctx.userId && underActive(ctx.email)) {
    return 'email_hashed_instead_of_user_id'
  }
  if (variantsOf(identifier, whitespaceVariants).some(underActive)) return 'identifier_whitespace'
  if (variantsOf(identifier, caseVariants).some(underActive)) return 'identifier_case'
  if (ctx.activeSecrets.some((secret) => matches(identifier, secret.value))) return 'key_and_message_swapped'
  if (matches(ctx.appId, identifier)) return 'app_id_as_key'
  if (underAny(ctx.revokedSecrets)) return 'revoked_secret'
  if (underAny(ctx.otherPlatformSecrets)) return 'other_platform_secret'
  // Lazily: the loop stops pulling secrets once one matches or the budget refuses the next HMAC.
  if (underAny(ctx.otherAppSecrets())) return 'other_app_secret'
  return 'unknown'
}

/** Distinct variants that differ from the identifier: the identifier itself would have verified. */
function variantsOf(identifier: string, make: (identifier: string) => string[]): string[] {
  return [...new Set(make(identifier))].filter((variant) => variant !== identifier)
}

function whitespaceVariants(identifier: string): string[] {
  const trimmed = identifier.trim()
  // `echo` without -n adds "\n"; PowerShell and Windows line endings add "\r\n".
  return [trimmed, `${identifier}\n`, `${trimmed}\n`, `${identifier}\r\n`, `${trimmed}\r\n`]
}

function caseVariants(identifier: string): string[] {
  return [identifier.toLowerCase(), identifier.toUpperCase()]
}

function base64Encodings(mac: Buffer): string[] {
  const hexText = Buffer.from(mac.toString('hex'), 'utf8')
  return [mac, hexText].flatMap((bytes) => {
    const padded = bytes.toString('base64')
    const unpadded = padded.replace(/=+$/, '')
    const url = bytes.toString('base64url')
    return [padded, unpadded, url, url + padded.slice(unpadded.length)]
  })
}
