import type { AppRuntime } from '../config-cache/app-runtime.js'
import type { Diagnosis, CandidateSecret, DiagnosisContext } from './diagnosis.js'
import { diagnoseIdentityToken } from './diagnose-identity-token.js'
import { diagnoseUserHash } from './diagnose-user-hash.js'
import { PLATFORMS, type Platform } from '../verification/platforms.js'
import type { WorkBudget } from './work-budget.js'
import type { AuthFailureEvent } from '../verification/auth-events.js'

const candidate = (s: { id: string; value: string }): CandidateSecret => ({ secretId: s.id, value: s.value })

/** The diagnosis context of one app and platform, from the in-memory configuration. */
export function diagnosisContext(
  app: AppRuntime,
  platform: Platform,
  identity: { userId: string | null; email: string | null },
  allApps: () => Iterable<AppRuntime>,
): DiagnosisContext {
  const own = app.platforms[platform]
  return {
    appId: app.id,
    platform,
    userId: identity.userId,
    email: identity.email,
    activeSecrets: own.active.map(candidate),
    revokedSecrets: own.revoked.map(candidate),
    otherPlatformSecrets: PLATFORMS.filter((p) => p !== platform).flatMap((p) => [...app.platforms[p].active, ...app.platforms[p].revoked].map(candidate)),
    *otherAppSecrets() {
      for (const other of allApps()) {
        if (other.id === app.id) continue
        for (const p of PLATFORMS) {
          for (const s of other.platforms[p].active) yield candidate(s)
          for (const s of other.platforms[p].revoked) yield candidate(s)
        }
      }
    },
  }
}

/** Names the mistake behind one recorded failure (admins only). */
export function diagnoseFailure(failure: AuthFailureEvent, app: AppRuntime | undefined, allApps: () => Iterable<AppRuntime>, budget: WorkBudget): Diagnosis {
  if (failure.exposedSecretId !== undefined) return 'secret_sent_by_client'
  if (failure.proof === null) return 'no_proof'
  if (!app || failure.tokenFailure === 'unreadable') return 'unknown'
  const ctx = diagnosisContext(app, failure.platform, failure.identity, allApps)
  if (failure.proof.type === 'user_hash') return diagnoseUserHash(ctx, failure.proof.value, budget)
  return diagnoseIdentityToken(ctx, failure.proof.value, failure.tokenFailure ?? 'signature', budget)
}
