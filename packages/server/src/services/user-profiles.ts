import { spaceOf } from '../authorization/can-read-conversation.js'
import { VerityError } from '../errors/verity-error.js'
import { applyProfilePatch, profileView, type Attributes, type ProfilePatch, type ProfileView, type SignedAttributes, type StoredProfile } from '../profile/apply-profile-patch.js'
import { userProfileKey, type UserIdentity, type UserRepository, type UserRow } from '../storage/user-repository.js'
import { emailVerifiedOf, type AccessTokenClaims } from '../tokens/access-token-claims.js'
import { identityKey, type ClaimedIdentity } from '../verification/identity.js'
import type { SessionUser } from './messenger-auth.js'
import type { ProfileCache } from './profile-cache.js'

export type MessengerUser = SessionUser & ProfileView

/**
 * Concurrent PATCHes of one user retry this often before giving up with 503. Each round lets at
 * least one writer through, so this many concurrent patches of one user all land; the writes of a
 * session are rate-limited, which bounds how many there can be.
 */
const WRITE_ATTEMPTS = 16

/** A few milliseconds, growing and jittered, so that losers of a round do not collide again at once. */
const backoff = (attempt: number) => new Promise((resolve) => setTimeout(resolve, Math.random() * 2 * (attempt + 1)))

/**
 * The messenger's view of its user. Only verified users have a profile: anyone can claim an
 * unverified identity, so letting such a session write a name or attributes would let it write
 * them for the real user.
 */
export class UserProfiles {
  readonly #users: UserRepository
  readonly #now: () => Date
  readonly #cache: ProfileCache | null

  /** `cache` spares `me` its read; it must hear of every change (see runtime/start-server.ts). */
  constructor(users: UserRepository, now: () => Date = () => new Date(), cache: ProfileCache | null = null) {
    this.#users = users
    this.#now = now
    this.#cache = cache
  }

  async me(session: AccessTokenClaims): Promise<MessengerUser> {
    const user = verifiedUser(session)
    return withProfile(sessionUser(session), user ? await this.#profileOf(user) : EMPTY_PROFILE)
  }

  async #profileOf(user: UserIdentity): Promise<ProfileView> {
    const cache = this.#cache
    if (cache === null) return viewOf(await this.#users.get(user.appId, user.userKey))
    const key = userProfileKey(user.appId, user.userKey)
    const cached = cache.get(key)
    if (cached !== undefined) return cached
    const generation = cache.generation
    const view = viewOf(await this.#users.get(user.appId, user.userKey))
    cache.set(key, view, generation)
    return view
  }

  /** After this process changed (or tried to change) a profile: its next read is fresh. */
  #changed(user: UserIdentity): void {
    this.#cache?.invalidate(userProfileKey(user.appId, user.userKey))
  }

  async update(session: AccessTokenClaims, patch: ProfilePatch): Promise<MessengerUser> {
    const user = verifiedUser(session)
    if (!user) throw new VerityError('verification_required', 'Only a verified user can change their profile. Send a user_hash or identity_token when authenticating.')
    for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
      const row = await this.#users.get(user.appId, user.userKey)
      const signed = signedOf(row)
      const outcome = applyProfilePatch(storedProfile(row), signed, patch)
      if (outcome.kind === 'signed_attribute') {
        throw new VerityError('signed_attribute', `"${outcome.attribute}" was signed by an identity token; only your server can change it.`)
      }
      if (outcome.kind === 'too_large') throw new VerityError('invalid_request', outcome.message)
      const written = await this.#users
        .writeProfile(user, row?.version ?? null, { name: outcome.profile.name, attributesJson: JSON.stringify(outcome.profile.attributes) }, this.#now().toISOString())
        .finally(() => this.#changed(user))
      if (written) return { ...sessionUser(session), ...profileView(outcome.profile, signed) }
      await backoff(attempt)
    }
    throw new VerityError('unavailable', 'This profile is being changed by another request. Retry.', { headers: { 'Retry-After': '1' } })
  }

  /** From identity tokens (through the auth event buffer): the signed attributes replace the earlier ones. */
  async recordSignedAttributes(appId: string, identity: ClaimedIdentity, attributes: SignedAttributes, at: number): Promise<void> {
    // The token signed every claim it carries, the email included.
    const user: UserIdentity = { appId, userKey: identityKey(identity), userId: identity.userId, email: identity.email, emailVerified: identity.email !== null }
    await this.#users.recordSigned(user, JSON.stringify(attributes), new Date(at).toISOString()).finally(() => this.#changed(user))
  }

  /** Display names of verified users, for the teammates' conversation list. */
  async names(appId: string, userKeys: readonly string[]): Promise<Map<string, string | null>> {
    const rows = await this.#users.many(appId, userKeys)
    return new Map(rows.map((row) => [row.user_key, profileView(storedProfile(row), signedOf(row)).name]))
  }
}

function verifiedUser(session: AccessTokenClaims): UserIdentity | null {
  const space = spaceOf(session)
  if (space === null || space.trust !== 'verified' || space.user_key === null) return null
  return { appId: space.app_id, userKey: space.user_key, userId: session.uid ?? null, email: session.email ?? null, emailVerified: emailVerifiedOf(session) }
}

function sessionUser(session: AccessTokenClaims): SessionUser {
  const user: SessionUser = {
    user_id: session.uid ?? null,
    email: session.email ?? null,
    anonymous: session.trust === 'anonymous',
    verified: session.trust === 'verified',
    email_verified: emailVerifiedOf(session),
  }
  if (session.did !== undefined) user.device_id = session.did
  return user
}

/**
 * The session user with its profile, as {...user, ...view} would make it (same keys, same order),
 * without the spread: objects made by spreading are promoted to the old generation under load.
 */
function withProfile(user: SessionUser, view: ProfileView): MessengerUser {
  const out = user as MessengerUser
  out.name = view.name
  out.attributes = view.attributes
  out.verified_attributes = view.verified_attributes
  return out
}

/** Unverified and anonymous sessions: no profile. Shared by every such answer, so never changed. */
const EMPTY_PROFILE: ProfileView = Object.freeze({ name: null, attributes: Object.freeze({}), verified_attributes: Object.freeze({}) }) as ProfileView

function viewOf(row: UserRow | null): ProfileView {
  return profileView(storedProfile(row), signedOf(row))
}

function storedProfile(row: UserRow | null): StoredProfile {
  return { name: row?.name ?? null, attributes: parseObject(row?.attributes) as Attributes }
}

function signedOf(row: UserRow | null): SignedAttributes {
  return parseObject(row?.signed_attributes)
}

function parseObject(text: string | undefined): Record<string, unknown> {
  if (!text) return {}
  try {
    const value: unknown = JSON.parse(text)
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {}
  } catch {
    return {}
  }
}
