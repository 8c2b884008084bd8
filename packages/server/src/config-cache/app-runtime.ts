import type { Environment, StoredApp } from '../storage/app-repository.js'
import { PLATFORMS, type Platform } from '../verification/platforms.js'
import { identityTokenVerifier } from '../verification/verify-identity-token.js'
import type { VerifyingSecret } from '../verification/verifying-secret.js'
import { PlatformKeySet, type JwksRegistry } from './platform-key-set.js'

export interface PlatformRuntime {
  readonly enforced: boolean
  readonly active: readonly VerifyingSecret[]
  readonly revoked: readonly VerifyingSecret[]
  /** Customer-held public keys: registered JWKs and the keys of JWKS URLs. */
  readonly publicKeys: PlatformKeySet
}

/** An app as the hot path needs it: secrets decrypted and ready to compute with, no I/O. */
export interface AppRuntime {
  readonly id: string
  readonly name: string
  readonly environment: Environment
  readonly createdAt: string
  readonly platforms: Readonly<Record<Platform, PlatformRuntime>>
}

export function toAppRuntime(app: StoredApp, onUnreadable: (secretId: string) => void, jwks?: JwksRegistry): AppRuntime {
  const platforms = {} as Record<Platform, PlatformRuntime>
  for (const platform of PLATFORMS) {
    const active: VerifyingSecret[] = []
    const revoked: VerifyingSecret[] = []
    for (const secret of app.secrets) {
      if (secret.platform !== platform) continue
      if (secret.value === null) {
        onUnreadable(secret.id)
        continue
      }
      const key = Buffer.from(secret.value, 'utf8')
      // The identity-token verifier is made on first use: most secrets never see a token, and each
      // verifier holds about 1 KB (30 MB of heap for 10,000 apps, marked again by every major GC).
      let verifier: VerifyingSecret['verifyIdentityToken'] | null = null
      const runtime: VerifyingSecret = {
        id: secret.id,
        value: secret.value,
        key,
        get verifyIdentityToken() {
          return (verifier ??= identityTokenVerifier(key))
        },
      }
      ;(secret.revokedAt === null ? active : revoked).push(runtime)
    }
    const publicKeys = new PlatformKeySet(app.publicKeys.filter((k) => k.platform === platform), jwks, onUnreadable)
    platforms[platform] = { enforced: app.platforms[platform].enforced, active, revoked, publicKeys }
  }
  return { id: app.id, name: app.name, environment: app.environment, createdAt: app.createdAt, platforms }
}

/** Whether the secret, or the public key, that verified a session still verifies. */
export function isActiveSecret(app: AppRuntime, platform: Platform, secretId: string): boolean {
  const runtime = app.platforms[platform]
  return runtime.active.some((s) => s.id === secretId) || runtime.publicKeys.has(secretId)
}
