import { newId } from '../crypto/random-ids.js'
import { VerityError } from '../errors/verity-error.js'
import type { ApiTokenRecord, ApiTokenRepository } from '../storage/api-token-repository.js'
import type { ConfigChanges } from '../storage/config-change.js'
import type { Audit } from '../storage/teammate-repository.js'
import { credentialDigest, newCredential } from './credentials.js'
import { isWithin, lesserRole, type Role } from '../authorization/roles.js'

const TOUCH_EVERY_MS = 60_000

export interface ApiTokenView {
  readonly id: string
  readonly name: string
  readonly role: Role
  readonly created_at: string
  readonly expires_at: string | null
  readonly last_used_at: string | null
}

export function apiTokenView(t: ApiTokenRecord): ApiTokenView {
  return { id: t.id, name: t.name, role: t.role, created_at: t.createdAt, expires_at: t.expiresAt, last_used_at: t.lastUsedAt }
}

/** A token in use: it acts with its own role, never above its teammate's role now. */
export interface AuthenticatedToken {
  readonly token: ApiTokenRecord
  readonly role: Role
}

/** Personal API tokens (`vpt_…`): shown once, stored as digests, with a role and an optional end. */
export class ApiTokens {
  readonly #repo: ApiTokenRepository
  readonly #changes: ConfigChanges
  readonly #now: () => Date

  constructor(repo: ApiTokenRepository, changes: ConfigChanges, now: () => Date = () => new Date()) {
    this.#repo = repo
    this.#changes = changes
    this.#now = now
  }

  async create(owner: { teammateId: string; role: Role }, input: { name: string; role?: Role | undefined; expiresInDays?: number | undefined }, audit: Audit): Promise<ApiTokenView & { value: string }> {
    const role = input.role ?? owner.role
    if (!isWithin(role, owner.role)) throw new VerityError('forbidden', `A token's role can be no higher than yours (${owner.role}).`)
    const now = this.#now()
    const value = newCredential('vpt')
    const id = newId('tok', now.getTime())
    const expiresAt = input.expiresInDays === undefined ? null : new Date(now.getTime() + input.expiresInDays * 86_400_000)
    await this.#repo.create({ id, tokenHash: credentialDigest(value), teammateId: owner.teammateId, name: input.name, role, expiresAt }, now)
    await this.#changes.append({ ...audit, action: 'api_token.created', target: id, details: { name: input.name, role, expires_at: expiresAt?.toISOString() ?? null } }, now)
    return { id, name: input.name, role, created_at: now.toISOString(), expires_at: expiresAt?.toISOString() ?? null, last_used_at: null, value }
  }

  async list(teammateId: string): Promise<ApiTokenView[]> {
    return (await this.#repo.listForTeammate(teammateId)).map(apiTokenView)
  }

  async revoke(teammateId: string, id: string, audit: Audit): Promise<void> {
    if (!(await this.#repo.delete(teammateId, id))) throw new VerityError('not_found', 'You have no token with this id.')
    await this.#changes.append({ ...audit, action: 'api_token.revoked', target: id }, this.#now())
  }

  /** The role of each of these tokens that still works (not revoked, not expired, its teammate still there). Reads only. */
  async currentRoles(ids: readonly string[]): Promise<Map<string, Role>> {
    const now = this.#now().getTime()
    const roles = new Map<string, Role>()
    for (const t of await this.#repo.withIds(ids)) {
      if (t.expiresAt === null || Date.parse(t.expiresAt) > now) roles.set(t.id, lesserRole(t.role, t.teammateRole))
    }
    return roles
  }

  /** The token behind a `vpt_…` value, or null (unknown, revoked, expired, or its teammate removed). */
  async authenticate(value: string): Promise<AuthenticatedToken | null> {
    const token = await this.#repo.byTokenHash(credentialDigest(value))
    if (!token) return null
    const now = this.#now()
    if (token.expiresAt !== null && Date.parse(token.expiresAt) <= now.getTime()) return null
    if (token.lastUsedAt === null || now.getTime() - Date.parse(token.lastUsedAt) >= TOUCH_EVERY_MS) await this.#repo.touch(token.id, now)
    return { token, role: lesserRole(token.role, token.teammateRole) }
  }
}
