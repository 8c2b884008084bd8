import type { Platform } from '../verification/platforms.js'

/**
 * What Verity found when a proof failed. Shown to admins only (failure log, `verity verify`),
 * never to the messenger client, because it tells which secrets exist.
 */
export const DIAGNOSES = [
  'other_platform_secret',
  'other_app_secret',
  'revoked_secret',
  'app_id_as_key',
  'email_hashed_instead_of_user_id',
  'key_and_message_swapped',
  'identifier_whitespace',
  'identifier_case',
  'base64_instead_of_hex',
  'wrong_algorithm',
  'malformed_hash',
  'expired_identity_token',
  'identity_token_lifetime',
  'identity_token_crit',
  'unknown_public_key',
  'public_key_signature',
  'jwks_unreachable',
  'secret_sent_by_client',
  'no_proof',
  'unknown',
] as const
export type Diagnosis = (typeof DIAGNOSES)[number]

/** A secret another part of the server knows, offered to the diagnosis as a candidate key. */
export interface CandidateSecret {
  readonly secretId: string
  /** The secret string exactly as shown to admins; its UTF-8 bytes are the HMAC key. */
  readonly value: string
}

/**
 * Everything the diagnosis may try, for one failed attempt. The secrets of other apps come last and
 * lazily, because on a server with thousands of apps they are the expensive part.
 */
export interface DiagnosisContext {
  readonly appId: string
  readonly platform: Platform
  /** The identity exactly as sent (or as named by the identity token). */
  readonly userId: string | null
  readonly email: string | null
  /** Active secrets of this app and platform: the keys that should have worked. */
  readonly activeSecrets: readonly CandidateSecret[]
  readonly revokedSecrets: readonly CandidateSecret[]
  /** Active and revoked secrets of this app's other platforms. */
  readonly otherPlatformSecrets: readonly CandidateSecret[]
  /** Secrets of every other app on this server. */
  otherAppSecrets(): Iterable<CandidateSecret>
}
