import type { Kysely, Transaction } from 'kysely'
import { newId } from '../crypto/random-ids.js'
import { VerityError } from '../errors/verity-error.js'
import type { Role } from '../authorization/roles.js'
import { changeConfig, type AuditEntry } from './config-change.js'
import type { Database, TeammatesTable } from './schema.js'

export interface TeammateRecord {
  readonly id: string
  readonly email: string
  readonly name: string | null
  readonly role: Role
  readonly passwordHash: string | null
  /** Sealed with the master key (teammates/totp-enrolment.ts opens it). */
  readonly totpSecret: string | null
  readonly totpEnabled: boolean
  readonly createdAt: string
  readonly lastSignInAt: string | null
}

export function toTeammate(row: TeammatesTable): TeammateRecord {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role as Role,
    passwordHash: row.password_hash,
    totpSecret: row.totp_secret,
    totpEnabled: row.totp_enabled === 1,
    createdAt: row.created_at,
    lastSignInAt: row.last_sign_in_at,
  }
}

/** Emails compare without case: one teammate per address, however it is typed. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase()
}

export type Audit = Pick<AuditEntry, 'actor' | 'client'>

/**
 * Teammates and their invites. Changes that can break the last-owner rule run inside
 * changeConfig: its revision bump takes a row lock on PostgreSQL (and SQLite has one writer), so
 * two owners demoting each other at once cannot both succeed.
 */
export class TeammateRepository {
  readonly #db: Kysely<Database>

  constructor(db: Kysely<Database>) {
    this.#db = db
  }

  async list(): Promise<TeammateRecord[]> {
    const rows = await this.#db.selectFrom('teammates').selectAll().orderBy('id').execute()
    return rows.map(toTeammate)
  }

  async byId(id: string): Promise<TeammateRecord | undefined> {
    const row = await this.#db.selectFrom('teammates').selectAll().where('id', '=', id).executeTakeFirst()
    return row && toTeammate(row)
  }

  async byEmail(email: string): Promise<TeammateRecord | undefined> {
    const row = await this.#db.selectFrom('teammates').selectAll().where('email', '=', normalizeEmail(email)).executeTakeFirst()
    return row && toTeammate(row)
  }

  /** The teammate an unused, unexpired invite is for. */
  async byInvite(tokenHash: string, now: Date): Promise<TeammateRecord | undefined> {
    const row = await this.#db
      .selectFrom('teammate_invites as i')
      .innerJoin('teammates as t', 't.id', 'i.teammate_id')
      .selectAll('t')
      .where('i.token_hash', '=', tokenHash)
      .where('i.used_at', 'is', null)
      .where('i.expires_at', '>', now.toISOString())
      .executeTakeFirst()
    return row && toTeammate(row)
  }

  /** A new teammate: with a password hash (set directly), or none yet, with an invite to accept. */
  async create(
    input: { email: string; name: string | null; role: Role; passwordHash: string | null; invite: { tokenHash: string; expiresAt: Date } | null },
    audit: Audit,
    now: Date,
  ): Promise<TeammateRecord> {
    const id = newId('tm', now.getTime())
    const email = normalizeEmail(input.email)
    return changeConfig(this.#db, { ...audit, action: 'teammate.added', target: id, details: { email, role: input.role, invited: input.invite !== null } }, now, async (trx) => {
      const taken = await trx.selectFrom('teammates').select('id').where('email', '=', email).executeTakeFirst()
      if (taken) throw new VerityError('invalid_request', 'A teammate with this email exists already.')
      await trx
        .insertInto('teammates')
        .values({ id, email, name: input.name, role: input.role, password_hash: input.passwordHash, totp_secret: null, totp_enabled: 0, totp_last_step: null, created_at: now.toISOString(), last_sign_in_at: null })
        .execute()
      if (input.invite) {
        await trx.insertInto('teammate_invites').values({ token_hash: input.invite.tokenHash, teammate_id: id, created_at: now.toISOString(), expires_at: input.invite.expiresAt.toISOString(), used_at: null }).execute()
      }
      return toTeammate((await trx.selectFrom('teammates').selectAll().where('id', '=', id).executeTakeFirstOrThrow()))
    })
  }

  /** A fresh invite for a teammate who has not set a password yet (earlier links stop working). */
  async reinvite(id: string, tokenHash: string, expiresAt: Date, audit: Audit, now: Date): Promise<void> {
    await changeConfig(this.#db, { ...audit, action: 'teammate.invited', target: id }, now, async (trx) => {
      await trx.deleteFrom('teammate_invites').where('teammate_id', '=', id).execute()
      await trx.insertInto('teammate_invites').values({ token_hash: tokenHash, teammate_id: id, created_at: now.toISOString(), expires_at: expiresAt.toISOString(), used_at: null }).execute()
    })
  }

  /**
   * Uses an invite once: 410 `invite_expired` for one used before, past its end, or unknown (an
   * unknown link is told apart from nothing, so a guesser learns nothing).
   */
  async acceptInvite(tokenHash: string, passwordHash: string, name: string | null, client: string | null, now: Date): Promise<TeammateRecord> {
    const invite = await this.#db.selectFrom('teammate_invites').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst()
    if (!invite || invite.used_at !== null || invite.expires_at <= now.toISOString()) throw new VerityError('invite_expired')
    const teammateId = invite.teammate_id
    const teammate = await this.byId(teammateId)
    if (!teammate) throw new VerityError('invite_expired')
    return changeConfig(this.#db, { actor: `teammate:${teammate.email}`, client, action: 'teammate.invite_accepted', target: teammateId }, now, async (trx) => {
      // Marked used in the same statement that checks it: two tabs accepting at once, one wins.
      const used = await trx.updateTable('teammate_invites').set({ used_at: now.toISOString() }).where('token_hash', '=', tokenHash).where('used_at', 'is', null).executeTakeFirst()
      if (Number(used.numUpdatedRows) !== 1) throw new VerityError('invite_expired')
      await trx.updateTable('teammates').set({ password_hash: passwordHash, ...(name !== null && { name }) }).where('id', '=', teammateId).execute()
      return toTeammate(await trx.selectFrom('teammates').selectAll().where('id', '=', teammateId).executeTakeFirstOrThrow())
    })
  }

  /** Changes a role; 409 `last_owner` when it would leave no owner. Ends the teammate's sessions and tokens. */
  async setRole(id: string, role: Role, audit: Audit, now: Date): Promise<TeammateRecord> {
    const before = await this.#require(id)
    return changeConfig(this.#db, { ...audit, action: 'teammate.role_changed', target: id, details: { email: before.email, before: { role: before.role }, after: { role } } }, now, async (trx) => {
      const current = toTeammate(await trx.selectFrom('teammates').selectAll().where('id', '=', id).executeTakeFirstOrThrow())
      if (current.role === 'owner' && role !== 'owner') await assertAnotherOwner(trx, id)
      await trx.updateTable('teammates').set({ role }).where('id', '=', id).execute()
      if (current.role !== role) await endCredentials(trx, id)
      return { ...current, role }
    })
  }

  async remove(id: string, audit: Audit, now: Date): Promise<void> {
    const before = await this.#require(id)
    await changeConfig(this.#db, { ...audit, action: 'teammate.removed', target: id, details: { email: before.email, before: { role: before.role } } }, now, async (trx) => {
      const current = await trx.selectFrom('teammates').select('role').where('id', '=', id).executeTakeFirst()
      if (!current) throw new VerityError('not_found', 'No teammate has this id.')
      if (current.role === 'owner') await assertAnotherOwner(trx, id)
      await endCredentials(trx, id)
      await trx.deleteFrom('teammate_invites').where('teammate_id', '=', id).execute()
      await trx.deleteFrom('recovery_codes').where('teammate_id', '=', id).execute()
      await trx.deleteFrom('teammates').where('id', '=', id).execute()
    })
  }

  /** Sets a new password hash and ends every session but `keepSessionId` (and no token: they are separate credentials). */
  async setPassword(id: string, passwordHash: string, keepSessionId: string | null, audit: Audit, now: Date): Promise<void> {
    await changeConfig(this.#db, { ...audit, action: 'teammate.password_changed', target: id }, now, async (trx) => {
      await trx.updateTable('teammates').set({ password_hash: passwordHash }).where('id', '=', id).execute()
      let end = trx.deleteFrom('teammate_sessions').where('teammate_id', '=', id)
      if (keepSessionId) end = end.where('id', '!=', keepSessionId)
      await end.execute()
    })
  }

  /** Starts enrolment: a new sealed secret, not yet required at sign-in. */
  async setPendingTotp(id: string, sealedSecret: string): Promise<void> {
    await this.#db.updateTable('teammates').set({ totp_secret: sealedSecret }).where('id', '=', id).where('totp_enabled', '=', 0).execute()
  }

  /** Two-factor sign-in on, with fresh recovery codes (digests) in place of any earlier ones. */
  async enableTotp(id: string, recoveryCodeHashes: readonly string[], audit: Audit, now: Date): Promise<void> {
    await changeConfig(this.#db, { ...audit, action: 'teammate.totp_enabled', target: id }, now, async (trx) => {
      await trx.updateTable('teammates').set({ totp_enabled: 1 }).where('id', '=', id).execute()
      await trx.deleteFrom('recovery_codes').where('teammate_id', '=', id).execute()
      for (const codeHash of recoveryCodeHashes) await trx.insertInto('recovery_codes').values({ code_hash: codeHash, teammate_id: id, used_at: null }).execute()
    })
  }

  /** Records an accepted code's time step: true once per step, and never for an older one (two requests at once, one wins). */
  async useTotpStep(id: string, step: number): Promise<boolean> {
    const result = await this.#db
      .updateTable('teammates')
      .set({ totp_last_step: step })
      .where('id', '=', id)
      .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
      .executeTakeFirst()
    return Number(result.numUpdatedRows) === 1
  }

  /** Spends a recovery code: true once, for an unused code of this teammate. */
  async useRecoveryCode(id: string, codeHash: string, now: Date): Promise<boolean> {
    const result = await this.#db
      .updateTable('recovery_codes')
      .set({ used_at: now.toISOString() })
      .where('code_hash', '=', codeHash)
      .where('teammate_id', '=', id)
      .where('used_at', 'is', null)
      .executeTakeFirst()
    return Number(result.numUpdatedRows) === 1
  }

  async recordSignIn(id: string, now: Date): Promise<void> {
    await this.#db.updateTable('teammates').set({ last_sign_in_at: now.toISOString() }).where('id', '=', id).execute()
  }

  async #require(id: string): Promise<TeammateRecord> {
    const teammate = await this.byId(id)
    if (!teammate) throw new VerityError('not_found', 'No teammate has this id.')
    return teammate
  }
}

async function assertAnotherOwner(trx: Transaction<Database>, id: string): Promise<void> {
  const other = await trx.selectFrom('teammates').select('id').where('role', '=', 'owner').where('id', '!=', id).limit(1).executeTakeFirst()
  if (!other) throw new VerityError('last_owner')
}

/** A removed or re-roled teammate's sessions and tokens end with the change, in its transaction. */
async function endCredentials(trx: Transaction<Database>, id: string): Promise<void> {
  await trx.deleteFrom('teammate_sessions').where('teammate_id', '=', id).execute()
  await trx.deleteFrom('api_tokens').where('teammate_id', '=', id).execute()
}
