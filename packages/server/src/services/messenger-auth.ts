import type { ConfigCache } from '../config-cache/config-cache.js'
import type { DeviceIds } from '../crypto/device-ids.js'
import { VerityError } from '../errors/verity-error.js'
import { checkProof, type Proof, type ProofOutcome } from '../verification/check-proof.js'
import { decideSession } from '../verification/decide-session.js'
import { failureLimitKey } from '../verification/failure-limiter.js'
import type { RefusalLimiter } from '../runtime/shared-refusals.js'
import { identityKey, type ClaimedIdentity } from '../verification/identity.js'
import type { Platform } from '../verification/platforms.js'
import type { AuthEventSink } from './auth-events.js'

/** The validated body of POST /v1/messenger/auth. */
export interface AuthRequest {
  readonly app_id: string
  readonly platform: Platform
  readonly user_id?: string | undefined
  readonly email?: string | undefined
  readonly user_hash?: string | undefined
  readonly identity_token?: string | undefined
  readonly device_id?: string | undefined
  readonly app_version?: string | undefined
  readonly sdk_version?: string | undefined
}

export interface SessionUser {
  user_id: string | null
  email: string | null
  anonymous: boolean
  verified: boolean
  /** Whether the proof covered the email; an email sent beside a proven user id is only claimed. */
  email_verified: boolean
  device_id?: string
}

export interface AuthResponse {
  access_token: string
  token_type: 'Bearer'
  expires_in: number
  user: SessionUser
}

export interface MessengerAuthDeps {
  readonly cache: ConfigCache
  readonly limiter: RefusalLimiter
  readonly deviceIds: DeviceIds
  readonly events: AuthEventSink
  /** Stores what a verified identity token signed (user profiles). */
  readonly recordSignedAttributes: (appId: string, identity: ClaimedIdentity, attributes: Readonly<Record<string, unknown>>, at: number) => Promise<void>
}

/**
 * POST /v1/messenger/auth as one synchronous function: memory only, no storage access, so the
 * hot path costs an HMAC per active secret and one token signature. The one exception is an
 * identity token that signs attributes: they are stored before the answer, so that the session's
 * next call sees them and cannot overwrite them (a Promise is returned then).
 */
export class MessengerAuth {
  readonly #deps: MessengerAuthDeps

  constructor(deps: MessengerAuthDeps) {
    this.#deps = deps
  }

  authenticate(request: AuthRequest, now: number = Date.now()): AuthResponse | Promise<AuthResponse> {
    const { cache, limiter, deviceIds, events } = this.#deps
    if (request.user_hash !== undefined && request.identity_token !== undefined) {
      throw new VerityError('invalid_request', 'Send either user_hash or identity_token, not both.')
    }
    if (request.identity_token !== undefined && (request.user_id !== undefined || request.email !== undefined)) {
      throw new VerityError('invalid_request', 'With identity_token, the identity comes from the token: do not send user_id or email beside it.')
    }
    cache.assertFresh(now)
    const app = cache.app(request.app_id)
    if (!app) throw new VerityError('app_not_found', 'No app has this app_id. Check the app id in your messenger settings.')
    const platform = app.platforms[request.platform]

    const claimed: ClaimedIdentity = { userId: request.user_id ?? null, email: request.email ?? null }
    const proof: Proof | null =
      request.user_hash !== undefined
        ? { type: 'user_hash', value: request.user_hash }
        : request.identity_token !== undefined
          ? { type: 'identity_token', value: request.identity_token }
          : null
    const outcome = checkProof(claimed, proof, platform.active, now)
    const identity = identityOf(outcome)
    const limitKey = identity ? failureLimitKey(app.id, request.platform, identityKey(identity)) : null

    if (limitKey) {
      const retryAfter = limiter.retryAfterSeconds(limitKey, now)
      if (retryAfter > 0) throw new VerityError('rate_limited', undefined, { headers: { 'Retry-After': String(retryAfter) } })
    }

    const decision = decideSession(outcome, platform.enforced)
    const appVersion = request.app_version ?? null
    if (identity && (outcome.kind === 'verified' || outcome.kind === 'missing' || outcome.kind === 'invalid')) {
      events.attempt({
        at: now,
        appId: app.id,
        platform: request.platform,
        identity,
        outcome: outcome.kind,
        secretId: outcome.kind === 'verified' ? outcome.secretId : null,
        appVersion,
        sdkVersion: request.sdk_version ?? null,
      })
    }
    const refused = decision.kind === 'refused'
    if (outcome.kind === 'invalid' || outcome.kind === 'unreadable_token' || (outcome.kind === 'missing' && refused)) {
      events.failure({
        at: now,
        appId: app.id,
        platform: request.platform,
        identity: identity ?? { userId: null, email: null },
        appVersion,
        refused,
        code: outcome.kind === 'missing' ? 'user_hash_missing' : 'user_hash_invalid',
        proof: outcome.kind === 'missing' ? null : proof,
        tokenFailure: outcome.kind === 'invalid' ? outcome.tokenFailure : outcome.kind === 'unreadable_token' ? 'unreadable' : null,
      })
    }
    if (decision.kind === 'refused') {
      if (limitKey) limiter.recordRefusal(limitKey, now)
      throw new VerityError(decision.code)
    }

    const signedWrite =
      outcome.kind === 'verified' && outcome.signedAttributes
        ? this.#deps.recordSignedAttributes(app.id, outcome.identity, outcome.signedAttributes, now)
        : null
    const deviceId =
      decision.trust === 'verified'
        ? undefined
        : request.device_id !== undefined && deviceIds.isIssued(app.id, request.device_id)
          ? request.device_id
          : deviceIds.issue(app.id)
    // Absent claims are undefined, which the token leaves out (no conditional spreads: they cost
    // an object each on the hot path).
    const { token, expiresIn } = cache.keyring.sign(
      {
        aud: app.id,
        trust: decision.trust,
        plt: request.platform,
        sid: decision.secretId ?? undefined,
        did: deviceId,
        uid: decision.identity.userId ?? undefined,
        email: decision.identity.email ?? undefined,
        emv: decision.emailVerified && decision.identity.email !== null ? true : undefined,
      },
      now,
    )
    const user: SessionUser = {
      user_id: decision.identity.userId,
      email: decision.identity.email,
      anonymous: decision.trust === 'anonymous',
      verified: decision.trust === 'verified',
      email_verified: decision.emailVerified && decision.identity.email !== null,
    }
    if (deviceId !== undefined) user.device_id = deviceId
    const response: AuthResponse = { access_token: token, token_type: 'Bearer', expires_in: expiresIn, user }
    return signedWrite ? signedWrite.then(() => response) : response
  }
}

function identityOf(outcome: ProofOutcome): ClaimedIdentity | null {
  return outcome.kind === 'anonymous' || outcome.kind === 'unreadable_token' ? null : outcome.identity
}
