import type { CandidateSecret, Diagnosis, DiagnosisContext } from './diagnosis.js'
import { meteredHmac, unlessBudgetSpent } from './diagnose-hmac.js'
import type { IdentityTokenFailure } from '../verification/verify-identity-token.js'
import type { WorkBudget } from './work-budget.js'

// An HS256 signature is 32 bytes: 43 base64url characters. Anything else matches no key, so it is
// answered without computing an HMAC.
const HS256_SIGNATURE = /^[A-Za-z0-9_-]{43}$/

/**
 * Why an identity token failed, for the admin's failure log.
 *
 * `expired` and `lifetime` are only passed when the signature itself verified, and a wrong `alg` or
 * a `crit` header is decided from the header, so none of them needs an HMAC. For a bad signature or
 * `kid`, the signature is recomputed under the keys a developer may have used by mistake, in
 * increasing number of keys: the app id (one HMAC), the revoked secrets and other platforms'
 * secrets (a few), then other apps' (many, lazily).
 * Each is a different key, so the order decides cost, not the answer.
 *
 * Comparisons are plain string equality, not constant-time: the token is already refused, nothing is
 * granted here, and the answer goes to admins only.
 */
export function diagnoseIdentityToken(
  ctx: DiagnosisContext,
  token: string,
  /**
   * Why the verifier refused the token. `claims` (the signature held but a claim such as
   * `attributes` did not) is passed as it is; no key search can explain it, so it is `unknown`.
   */
  failure: IdentityTokenFailure,
  budget: WorkBudget,
): Diagnosis {
  switch (failure) {
    case 'expired':
      return 'expired_identity_token'
    case 'lifetime':
      return 'identity_token_lifetime'
    case 'crit':
      return 'identity_token_crit'
    case 'algorithm':
      return 'wrong_algorithm'
    case 'claims':
      return 'unknown'
    case 'unknown_public_key':
    case 'public_key_signature':
    case 'jwks_unreachable':
      return failure
    case 'signature':
    case 'unknown_kid':
      return unlessBudgetSpent(() => searchSigningKey(ctx, token, budget), 'unknown')
  }
}

function searchSigningKey(ctx: DiagnosisContext, token: string, budget: WorkBudget): Diagnosis {
  const parts = token.split('.')
  if (parts.length !== 3) return 'unknown'
  const [header, payload, signature] = parts as [string, string, string]
  // Padding is not part of a JWT, but a signer that adds it still used the key it used.
  const sent = signature.replace(/=+$/, '')
  if (!HS256_SIGNATURE.test(sent)) return 'unknown'

  const signingInput = `${header}.${payload}`
  // The signature is over the token's own characters, which are ASCII, so UTF-8 changes nothing.
  const signedWith = (key: string) => meteredHmac(budget, 'sha256', key, signingInput).toString('base64url') === sent
  const signedWithAny = (secrets: Iterable<CandidateSecret>) => {
    for (const secret of secrets) if (signedWith(secret.value)) return true
    return false
  }

  if (signedWith(ctx.appId)) return 'app_id_as_key'
  if (signedWithAny(ctx.revokedSecrets)) return 'revoked_secret'
  if (signedWithAny(ctx.otherPlatformSecrets)) return 'other_platform_secret'
  if (signedWithAny(ctx.otherAppSecrets())) return 'other_app_secret'
  return 'unknown'
}
