import type { createVerifier } from 'fast-jwt'

/** An active (or revoked) platform secret as the hot path holds it, ready to compute with. */
export interface VerifyingSecret {
  readonly id: string
  /** The secret string, as admins see it (needed by the diagnosis). */
  readonly value: string
  /** Its UTF-8 bytes: the HMAC key. */
  readonly key: Buffer
  /** Verifies identity tokens signed with this secret (HS256 only, exp required, 60 s leeway). */
  readonly verifyIdentityToken: ReturnType<typeof createVerifier>
}
