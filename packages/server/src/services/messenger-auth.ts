import type { AppRuntime } from '../config-cache/app-runtime.js'
import type { ConfigCache } from '../config-cache/config-cache.js'
import type { DeviceIds } from '../crypto/device-ids.js'
import { VerityError } from '../errors/verity-error.js'
import { checkProof, proofOf, type Proof, type ProofOutcome } from '../verification/check-proof.js'
import { decideSession, type Trust } from '../verification/decide-session.js'
import { failureLimitKey, type FailureLimit } from '../limits/failure-limit.js'
import { clientKey } from '../limits/client-key.js'
import { rateLimited } from '../limits/rate-limited.js'
import type { RateWindow } from '../limits/rate-window.js'
import { identityKey, type ClaimedIdentity } from '../verification/identity.js'
import type { Platform } from '../verification/platforms.js'
import type { AuthEventSink } from '../verification/auth-events.js'
import type { ExposedSecret } from '../alerts/exposed-secret-probe.js'

/** What the alerts watch on the auth path: memory only, returning at once. */
export interface AuthWatch {
  /** The active secret of the app that the request carries in any string field, if any. */
  secretSent(app: AppRuntime, platform: Platform, request: object, now: number): ExposedSecret | null
  /** A valid proof for this user, from this device id (if sent) and client address. */
  verified(appId: string, platform: Platform, user: ClaimedIdentity, deviceId: string | undefined, client: string, now: number): void
}

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

/** The session Verity gives, and the trust it decided: what metrics count, apart from the JSON. */
export interface AuthSession {
  readonly trust: Trust
  readonly response: AuthResponse
}

export interface MessengerAuthDeps {
  readonly cache: ConfigCache
  /** Consulted only for attempts that are refused anyway (never for a valid proof). */
  readonly failureLimit: FailureLimit
  /** Sessions without a proof per client address (VERITY_CLIENT_SESSION_RATE). */
  readonly sessionsPerClient: RateWindow
  readonly deviceIds: DeviceIds
  readonly events: AuthEventSink
  /** Exposed secrets and the leak rule (alerts); none in tests that do not need them. */
  readonly watch?: AuthWatch
  /** Stores what a verified identity token signed (user profiles). */
  readonly recordSignedAttributes: (appId: string, identity: ClaimedIdentity, attributes: Readonly<Record<string, unknown>>, at: number) => Promise<void>
}

/**
 * POST /v1/messenger/auth: memory only, no storage access, so the hot path costs an HMAC per
 * active secret and one token signature, and answers synchronously. Two exceptions wait: an
 * attempt that is refused anyway waits for the failure limit (which may be shared with other
 * processes), and an identity token that signs attributes waits for them to be stored, so that
 * the session's next call sees them and cannot overwrite them.
 */
export class MessengerAuth {
  readonly #deps: MessengerAuthDeps

  constructor(deps: MessengerAuthDeps) {
    this.#deps = deps
  }

  /**
   * The session for a proof, with the trust decided (a promise when signed attributes are stored first), or, for an
   * attempt that is refused, a promise that rejects (401, or 429 once the identifier has had
   * VERITY_FAILURE_LIMIT refusals within a minute). `client` is the client address, which
   * sessions without a proof count against.
   */
  authenticate(request: AuthRequest, client: string, now: number = Date.now()): AuthSession | Promise<AuthSession> {
    const { cache } = this.#deps
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
    const exposed = this.#deps.watch?.secretSent(app, request.platform, request, now)
    if (exposed) this.#refuseExposed(request, app.id, exposed, now)

    const claimed: ClaimedIdentity = { userId: request.user_id ?? null, email: request.email ?? null }
    const proof = proofOf(request)
    const outcome = checkProof(claimed, proof, platform.active, now, platform.publicKeys)
    // A kid no key has may be a key the customer just added to their JWKS: one bounded fetch (at
    // most once a minute per URL, shared by every request that waits), then the token once more.
    if (outcome.kind === 'invalid' && (outcome.tokenFailure === 'unknown_public_key' || outcome.tokenFailure === 'jwks_unreachable')) {
      const fetched = platform.publicKeys.refetch()
      if (fetched) {
        return fetched.then(() => this.#decide(request, app, proof, checkProof(claimed, proof, platform.active, now, platform.publicKeys), client, now))
      }
    }
    return this.#decide(request, app, proof, outcome, client, now)
  }

  #decide(request: AuthRequest, app: AppRuntime, proof: Proof | null, outcome: ProofOutcome, client: string, now: number): AuthSession | Promise<AuthSession> {
    const { cache, deviceIds } = this.#deps
    const platform = app.platforms[request.platform]
    const identity = identityOf(outcome)
    const decision = decideSession(outcome, platform.enforced)

    if (decision.kind === 'refused') {
      const record = () => this.#record(request, app.id, outcome, identity, proof, true, now)
      // A refusal without an identifier (an unreadable token) has nothing to count against.
      if (!identity) {
        record()
        throw new VerityError(decision.code)
      }
      return this.#refuse(failureLimitKey(app.id, request.platform, identityKey(identity)), decision.code, record, now)
    }
    if (decision.trust !== 'verified') {
      const wait = this.#deps.sessionsPerClient.take(clientKey(client), now)
      if (wait > 0) throw rateLimited(wait, 'Too many sessions without a proof from this address. Retry later.')
    }
    this.#record(request, app.id, outcome, identity, proof, false, now)
    if (decision.trust === 'verified') this.#deps.watch?.verified(app.id, request.platform, decision.identity, request.device_id, client, now)

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
    const session: AuthSession = { trust: decision.trust, response: { access_token: token, token_type: 'Bearer', expires_in: expiresIn, user } }
    return signedWrite ? signedWrite.then(() => session) : session
  }

  /** Refused: 401 while the identifier has fewer than VERITY_FAILURE_LIMIT refusals within a minute, else 429. */
  async #refuse(key: string, code: 'user_hash_missing' | 'user_hash_invalid', record: () => void, now: number): Promise<never> {
    const wait = await this.#deps.failureLimit.refuse(key, now)
    if (wait > 0) throw rateLimited(wait, 'Too many failed attempts for this user. Retry later.')
    record()
    throw new VerityError(code)
  }

  /**
   * A secret sent by a client is no proof of anything: refused, and logged as a failure whose
   * diagnosis is secret_sent_by_client, without the fields that held the secret.
   */
  #refuseExposed(request: AuthRequest, appId: string, exposed: ExposedSecret, now: number): never {
    const held = (field: keyof AuthRequest) => exposed.fields.includes(field)
    this.#deps.events.failure({
      at: now,
      appId,
      platform: request.platform,
      identity: { userId: held('user_id') ? null : (request.user_id ?? null), email: held('email') ? null : (request.email ?? null) },
      appVersion: held('app_version') ? null : (request.app_version ?? null),
      refused: true,
      code: 'user_hash_invalid',
      proof: null,
      tokenFailure: null,
      exposedSecretId: exposed.secretId,
    })
    throw new VerityError('user_hash_invalid')
  }

  /** The rollout statistics and the failure log (both buffered in memory). */
  #record(request: AuthRequest, appId: string, outcome: ProofOutcome, identity: ClaimedIdentity | null, proof: Proof | null, refused: boolean, now: number): void {
    const { events } = this.#deps
    const appVersion = request.app_version ?? null
    if (identity && (outcome.kind === 'verified' || outcome.kind === 'missing' || outcome.kind === 'invalid')) {
      events.attempt({
        at: now,
        appId,
        platform: request.platform,
        identity,
        outcome: outcome.kind,
        secretId: outcome.kind === 'verified' ? outcome.secretId : null,
        appVersion,
        sdkVersion: request.sdk_version ?? null,
      })
    }
    if (outcome.kind === 'invalid' || outcome.kind === 'unreadable_token' || (outcome.kind === 'missing' && refused)) {
      events.failure({
        at: now,
        appId,
        platform: request.platform,
        identity: identity ?? { userId: null, email: null },
        appVersion,
        refused,
        code: outcome.kind === 'missing' ? 'user_hash_missing' : 'user_hash_invalid',
        proof: outcome.kind === 'missing' ? null : proof,
        tokenFailure: outcome.kind === 'invalid' ? outcome.tokenFailure : outcome.kind === 'unreadable_token' ? 'unreadable' : null,
      })
    }
  }
}

function identityOf(outcome: ProofOutcome): ClaimedIdentity | null {
  return outcome.kind === 'anonymous' || outcome.kind === 'unreadable_token' ? null : outcome.identity
}
