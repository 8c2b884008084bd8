import type { ConfigCache } from '../config-cache/config-cache.js'
import { diagnosisContext } from '../diagnosis/diagnose-failure.js'
import { diagnoseIdentityToken } from '../diagnosis/diagnose-identity-token.js'
import { diagnoseUserHash } from '../diagnosis/diagnose-user-hash.js'
import type { Diagnosis } from '../diagnosis/diagnosis.js'
import { proofTestAdvice, type ProofTestVerdict } from '../diagnosis/proof-test-advice.js'
import type { WorkBudget } from '../diagnosis/work-budget.js'
import { VerityError } from '../errors/verity-error.js'
import { checkProof, proofOf, type Proof, type ProofOutcome } from '../verification/check-proof.js'
import type { ClaimedIdentity } from '../verification/identity.js'
import type { Platform } from '../verification/platforms.js'

/** The validated body of POST /admin/v1/apps/{app_id}/platforms/{platform}/test-proof. */
export interface ProofTestRequest {
  readonly user_id?: string | undefined
  readonly email?: string | undefined
  readonly user_hash?: string | undefined
  readonly identity_token?: string | undefined
}

export interface ProofTestResult {
  verified: boolean
  diagnosis: Diagnosis | null
  advice: string
}

export interface ProofTesterDeps {
  readonly cache: ConfigCache
  /**
   * The diagnosis budget of the app: the same one failed proofs draw from, so a teammate pressing
   * "Test" in a loop costs no more CPU than a flood of bad hashes can.
   */
  readonly budgetFor: (appId: string) => WorkBudget
}

/**
 * "Would this proof verify, and if not, why?" answered with the functions the messenger path
 * verifies with and the diagnosis its failure log uses. It only reads the in-memory configuration:
 * no statistics, no failure row, no last-used time, no alert, no failure-limit count, so testing a
 * hash cannot change a rollout or lock a user out.
 */
export class ProofTester {
  readonly #deps: ProofTesterDeps

  constructor(deps: ProofTesterDeps) {
    this.#deps = deps
  }

  async test(appId: string, platform: Platform, request: ProofTestRequest, now: number = Date.now()): Promise<ProofTestResult> {
    const { claimed, proof } = parse(request)
    const app = this.#deps.cache.app(appId)
    if (!app) throw new VerityError('app_not_found')
    const keys = app.platforms[platform]
    let outcome = checkProof(claimed, proof, keys.active, now, keys.publicKeys)
    // As on the messenger path: a kid no key has may be one just added to the JWKS (one fetch a
    // minute per URL at most, shared with every request that waits).
    if (outcome.kind === 'invalid' && (outcome.tokenFailure === 'unknown_public_key' || outcome.tokenFailure === 'jwks_unreachable')) {
      const fetched = keys.publicKeys.refetch()
      if (fetched) {
        await fetched
        outcome = checkProof(claimed, proof, keys.active, now, keys.publicKeys)
      }
    }
    const verdict = this.#verdict(outcome, proof, app.id, platform)
    return { verified: verdict.verified, diagnosis: verdict.verified ? null : verdict.diagnosis, advice: proofTestAdvice(verdict) }
  }

  #verdict(outcome: ProofOutcome, proof: Proof | null, appId: string, platform: Platform): ProofTestVerdict {
    switch (outcome.kind) {
      case 'verified':
        return { verified: true, proof: proof?.type ?? 'user_hash' }
      case 'missing':
      case 'anonymous':
        return { verified: false, diagnosis: 'no_proof' }
      case 'unreadable_token':
        return { verified: false, diagnosis: 'unknown', unreadableToken: true }
      case 'invalid': {
        const app = this.#deps.cache.app(appId)
        if (!app) return { verified: false, diagnosis: 'unknown' }
        const ctx = diagnosisContext(app, platform, outcome.identity, () => this.#deps.cache.apps())
        const budget = this.#deps.budgetFor(appId)
        const diagnosis =
          outcome.proof.type === 'user_hash'
            ? diagnoseUserHash(ctx, outcome.proof.value, budget)
            : diagnoseIdentityToken(ctx, outcome.proof.value, outcome.tokenFailure ?? 'signature', budget)
        return { verified: false, diagnosis }
      }
    }
  }
}

/** The same refusals as POST /v1/messenger/auth, plus one: there is nothing to test without an identity or a token. */
function parse(request: ProofTestRequest): { claimed: ClaimedIdentity; proof: Proof | null } {
  if (request.user_hash !== undefined && request.identity_token !== undefined) {
    throw new VerityError('invalid_request', 'Give either user_hash or identity_token, not both.')
  }
  if (request.identity_token !== undefined && (request.user_id !== undefined || request.email !== undefined)) {
    throw new VerityError('invalid_request', 'With identity_token, the identity comes from the token: do not give user_id or email beside it.')
  }
  const claimed: ClaimedIdentity = { userId: request.user_id ?? null, email: request.email ?? null }
  if (request.identity_token === undefined && claimed.userId === null && claimed.email === null) {
    throw new VerityError('invalid_request', 'Give the user_id or email the messenger sends (with its user_hash), or an identity_token.')
  }
  const proof = proofOf(request)
  return { claimed, proof }
}
