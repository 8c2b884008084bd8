import { VerityError } from '../errors/verity-error.js'
import type { Audit, TeammateRecord, TeammateRepository } from '../storage/teammate-repository.js'
import { credentialDigest, newCredential } from './credentials.js'
import type { PasswordHasher } from './password-hasher.js'
import { assertAcceptablePassword } from './password-policy.js'
import type { Role } from '../authorization/roles.js'

export const INVITE_LIFETIME_MS = 72 * 3600_000

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,190}$/

export function assertEmail(email: string): void {
  if (!EMAIL.test(email.trim())) throw new VerityError('invalid_request', 'The email address is not valid.')
}

/** The invite link: the token rides in the fragment, which browsers never send to a server or its logs. */
export function inviteUrl(publicUrl: string, token: string): string {
  return `${publicUrl}/#invite=${token}`
}

/**
 * Teammates: add (with a password or an invite), accept an invite, change a role, remove. The
 * admin API and the CLI both go through here.
 */
export class TeammateDirectory {
  readonly #repo: TeammateRepository
  readonly #hasher: PasswordHasher
  readonly #now: () => Date

  constructor(repo: TeammateRepository, hasher: PasswordHasher, now: () => Date = () => new Date()) {
    this.#repo = repo
    this.#hasher = hasher
    this.#now = now
  }

  list(): Promise<TeammateRecord[]> {
    return this.#repo.list()
  }

  async addWithPassword(input: { email: string; name: string | null; role: Role; password: string }, audit: Audit): Promise<TeammateRecord> {
    assertEmail(input.email)
    assertAcceptablePassword(input.password, input.email)
    const passwordHash = await this.#hasher.hash(input.password)
    return this.#repo.create({ email: input.email, name: input.name, role: input.role, passwordHash, invite: null }, audit, this.#now())
  }

  /** Adds a teammate who sets a password through the link; the token exists only in the link. */
  async invite(input: { email: string; name: string | null; role: Role }, publicUrl: string, audit: Audit): Promise<{ teammate: TeammateRecord; inviteUrl: string }> {
    assertEmail(input.email)
    const now = this.#now()
    const token = newCredential('vin')
    const teammate = await this.#repo.create({ ...input, passwordHash: null, invite: { tokenHash: credentialDigest(token), expiresAt: new Date(now.getTime() + INVITE_LIFETIME_MS) } }, audit, now)
    return { teammate, inviteUrl: inviteUrl(publicUrl, token) }
  }

  async acceptInvite(token: string, password: string, name: string | null, client: string | null): Promise<TeammateRecord> {
    const tokenHash = credentialDigest(token)
    // The password is checked against the invited email before any hashing work.
    const invited = await this.#repo.byInvite(tokenHash, this.#now())
    if (!invited) throw new VerityError('invite_expired')
    assertAcceptablePassword(password, invited.email)
    const passwordHash = await this.#hasher.hash(password)
    return this.#repo.acceptInvite(tokenHash, passwordHash, name, client, this.#now())
  }

  async setRole(id: string, role: Role, audit: Audit): Promise<TeammateRecord> {
    return this.#repo.setRole(id, role, audit, this.#now())
  }

  async remove(id: string, audit: Audit): Promise<void> {
    await this.#repo.remove(id, audit, this.#now())
  }

  /** A teammate by id or email (the CLI accepts either). */
  async find(idOrEmail: string): Promise<TeammateRecord> {
    const found = idOrEmail.startsWith('tm_') ? await this.#repo.byId(idOrEmail) : await this.#repo.byEmail(idOrEmail)
    if (!found) throw new VerityError('not_found', `No teammate is ${idOrEmail}.`)
    return found
  }
}
