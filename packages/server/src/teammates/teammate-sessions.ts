import { timingSafeEqual } from 'node:crypto'
import { newId } from '../crypto/random-ids.js'
import type { SecretBox } from '../crypto/secret-box.js'
import { base32Encode, matchTotp, newTotpSecret, otpauthUrl } from '../crypto/totp.js'
import { VerityError } from '../errors/verity-error.js'
import { rateLimited } from '../limits/rate-limited.js'
import type { RateWindow } from '../limits/rate-window.js'
import type { SessionRecord, TeammateSessionRepository } from '../storage/teammate-session-repository.js'
import { normalizeEmail, type Audit, type TeammateRecord, type TeammateRepository } from '../storage/teammate-repository.js'
import { credentialDigest, newCredential, newRecoveryCodes, normalizeRecoveryCode } from './credentials.js'
import type { PasswordHasher } from './password-hasher.js'
import { assertAcceptablePassword, MAX_PASSWORD_LENGTH } from './password-policy.js'
import type { Role } from '../authorization/roles.js'

/** A sensitive call needs the password (or a code) confirmed this recently. */
export const CONFIRMATION_MS = 10 * 60_000
/** last_seen_at is written at most this often: reading a session must not be a write every time. */
const TOUCH_EVERY_MS = 60_000

export interface TeammateSessionsDeps {
  readonly teammates: TeammateRepository
  readonly sessions: TeammateSessionRepository
  readonly hasher: PasswordHasher
  readonly box: SecretBox
  /** Failed sign-ins (and confirmations) per email: 5 in 15 minutes. */
  readonly failuresPerEmail: RateWindow
  readonly idleMs: number
  readonly maxMs: number
  readonly now?: () => Date
}

export interface SignedIn {
  readonly teammate: TeammateRecord
  readonly session: SessionRecord
  /** The cookie's value: it exists only in the response that sets it. */
  readonly cookieValue: string
}

const totpAad = (teammateId: string): string => `verity/totp/v1|${teammateId}`

/**
 * Sign-in, dashboard sessions, confirmation, password change and two-factor sign-in. Every
 * password check costs one scrypt through the bounded hasher; an unknown email costs the same.
 */
export class TeammateSessions {
  readonly #deps: TeammateSessionsDeps
  readonly #now: () => Date

  constructor(deps: TeammateSessionsDeps) {
    this.#deps = deps
    this.#now = deps.now ?? (() => new Date())
  }

  async signIn(input: { email: string; password: string; totp?: string | undefined }, client: string, userAgent: string | null): Promise<SignedIn> {
    const { teammates, hasher } = this.#deps
    const emailKey = normalizeEmail(input.email)
    this.#assertNotLimited(emailKey)
    const teammate = await teammates.byEmail(emailKey)
    // Unknown email, pending invite, over-long password: the same work and the same answer.
    const ok =
      teammate?.passwordHash && input.password.length <= MAX_PASSWORD_LENGTH * 4
        ? await hasher.verify(input.password, teammate.passwordHash)
        : await hasher.verifyDecoy(input.password.slice(0, MAX_PASSWORD_LENGTH * 4))
    if (!ok || !teammate) this.#fail(emailKey, 'invalid_credentials')
    if (teammate.totpEnabled) {
      if (input.totp === undefined || input.totp === '') throw new VerityError('totp_required')
      if (!(await this.#checkSecondFactor(teammate, input.totp))) this.#fail(emailKey, 'totp_invalid')
    }
    const now = this.#now()
    const cookieValue = newCredential('vss')
    const id = newId('ses', now.getTime())
    await this.#deps.sessions.create(
      { id, tokenHash: credentialDigest(cookieValue), teammateId: teammate.id, csrfToken: newCredential('csrf'), expiresAt: new Date(now.getTime() + this.#deps.maxMs), ip: client, userAgent: userAgent?.slice(0, 256) ?? null },
      now,
    )
    await teammates.recordSignIn(teammate.id, now)
    const session = await this.#deps.sessions.byTokenHash(credentialDigest(cookieValue))
    if (!session) throw new TypeError('a session just made is missing')
    return { teammate: { ...teammate, lastSignInAt: now.toISOString() }, session, cookieValue }
  }

  /** The session behind a cookie value, or null when there is none or it has ended (idle or absolute). */
  async authenticate(cookieValue: string): Promise<SessionRecord | null> {
    const session = await this.#deps.sessions.byTokenHash(credentialDigest(cookieValue))
    if (!session) return null
    const now = this.#now()
    const lastSeen = Date.parse(session.lastSeenAt)
    if (Date.parse(session.expiresAt) <= now.getTime() || lastSeen + this.#deps.idleMs <= now.getTime()) {
      await this.#deps.sessions.end(session.teammateId, session.id)
      return null
    }
    if (now.getTime() - lastSeen >= TOUCH_EVERY_MS) await this.#deps.sessions.touch(session.id, now)
    return session
  }

  /**
   * The role of each of these sessions that has not ended (signed out, idle, past its end, its
   * teammate removed or their role changed): what a live stream asks every second. Reads only.
   */
  async currentRoles(ids: readonly string[]): Promise<Map<string, Role>> {
    const now = this.#now().getTime()
    const roles = new Map<string, Role>()
    for (const s of await this.#deps.sessions.withIds(ids)) {
      if (Date.parse(s.expiresAt) > now && Date.parse(s.lastSeenAt) + this.#deps.idleMs > now) roles.set(s.id, s.role)
    }
    return roles
  }

  /** 10 minutes of sensitive calls, after the password or a code. */
  async confirm(session: SessionRecord, proof: { password?: string | undefined; totp?: string | undefined }): Promise<Date> {
    const emailKey = session.email
    this.#assertNotLimited(emailKey)
    const teammate = await this.#deps.teammates.byId(session.teammateId)
    if (!teammate?.passwordHash) throw new VerityError('unauthorized')
    if (proof.password !== undefined) {
      if (proof.password.length > MAX_PASSWORD_LENGTH * 4 || !(await this.#deps.hasher.verify(proof.password, teammate.passwordHash))) this.#fail(emailKey, 'invalid_credentials')
    } else if (proof.totp !== undefined && teammate.totpEnabled) {
      if (!(await this.#checkSecondFactor(teammate, proof.totp))) this.#fail(emailKey, 'totp_invalid')
    } else {
      throw new VerityError('invalid_request', 'Send password, or totp once two-factor sign-in is on.')
    }
    const until = new Date(this.#now().getTime() + CONFIRMATION_MS)
    await this.#deps.sessions.confirm(session.id, until)
    return until
  }

  /** A new password ends every other session of the teammate. */
  async changePassword(session: SessionRecord, current: string, next: string, audit: Audit): Promise<void> {
    const teammate = await this.#deps.teammates.byId(session.teammateId)
    if (!teammate?.passwordHash) throw new VerityError('unauthorized')
    this.#assertNotLimited(teammate.email)
    if (current.length > MAX_PASSWORD_LENGTH * 4 || !(await this.#deps.hasher.verify(current, teammate.passwordHash))) this.#fail(teammate.email, 'invalid_credentials')
    assertAcceptablePassword(next, teammate.email)
    await this.#deps.teammates.setPassword(teammate.id, await this.#deps.hasher.hash(next), session.id, audit, this.#now())
  }

  list(session: SessionRecord): Promise<SessionRecord[]> {
    return this.#deps.sessions.listForTeammate(session.teammateId)
  }

  async end(session: SessionRecord, id: string): Promise<void> {
    if (!(await this.#deps.sessions.end(session.teammateId, id))) throw new VerityError('not_found', 'You have no session with this id.')
  }

  endOthers(session: SessionRecord): Promise<number> {
    return this.#deps.sessions.endAllBut(session.teammateId, session.id)
  }

  signOut(session: SessionRecord): Promise<boolean> {
    return this.#deps.sessions.end(session.teammateId, session.id)
  }

  /** Two-factor enrolment, step 1: a new secret to scan; not required until confirmed with a code. */
  async beginTotp(session: SessionRecord): Promise<{ secret: string; otpauth_url: string }> {
    if (session.totpEnabled) throw new VerityError('invalid_request', 'Two-factor sign-in is on already.')
    const secret = newTotpSecret()
    await this.#deps.teammates.setPendingTotp(session.teammateId, this.#deps.box.seal(secret.toString('base64'), totpAad(session.teammateId)))
    return { secret: base32Encode(secret), otpauth_url: otpauthUrl(secret, session.email) }
  }

  /** Step 2: a code from the app turns it on and returns 10 single-use recovery codes, shown this once. */
  async confirmTotp(session: SessionRecord, code: string, audit: Audit): Promise<string[]> {
    const teammate = await this.#deps.teammates.byId(session.teammateId)
    if (!teammate || teammate.totpEnabled || !teammate.totpSecret) throw new VerityError('invalid_request', 'Start with POST /admin/v1/me/totp.')
    const secret = this.#openTotpSecret(teammate)
    const step = secret && matchTotp(secret, code, this.#now().getTime() / 1000)
    if (step === null || !(await this.#deps.teammates.useTotpStep(teammate.id, step))) throw new VerityError('totp_invalid')
    const codes = newRecoveryCodes()
    await this.#deps.teammates.enableTotp(teammate.id, codes.map((c) => credentialDigest(normalizeRecoveryCode(c))), audit, this.#now())
    return codes
  }

  /** A 6-digit code from the app, or a recovery code (spent by using it). */
  async #checkSecondFactor(teammate: TeammateRecord, code: string): Promise<boolean> {
    const trimmed = code.trim()
    if (/^\d{6}$/.test(trimmed)) {
      const secret = this.#openTotpSecret(teammate)
      const step = secret && matchTotp(secret, trimmed, this.#now().getTime() / 1000)
      // A code seen once (or older than the last one accepted) is refused: a code is single use.
      return step !== null && (await this.#deps.teammates.useTotpStep(teammate.id, step))
    }
    if (trimmed.length > 32) return false
    return this.#deps.teammates.useRecoveryCode(teammate.id, credentialDigest(normalizeRecoveryCode(trimmed)), this.#now())
  }

  #openTotpSecret(teammate: TeammateRecord): Buffer | null {
    if (!teammate.totpSecret) return null
    const opened = this.#deps.box.open(teammate.totpSecret, totpAad(teammate.id))
    return opened === null ? null : Buffer.from(opened, 'base64')
  }

  #assertNotLimited(emailKey: string): void {
    const wait = this.#deps.failuresPerEmail.retryAfterSeconds(emailKey, this.#now().getTime())
    if (wait > 0) throw rateLimited(wait, 'Too many failed sign-ins for this email. Retry later.')
  }

  #fail(emailKey: string, code: 'invalid_credentials' | 'totp_invalid'): never {
    this.#deps.failuresPerEmail.take(emailKey, this.#now().getTime())
    throw new VerityError(code)
  }
}

/** Constant-time equality of two strings (CSRF tokens). */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}
