import type { TeammateRecord } from '../storage/teammate-repository.js'

export interface TeammateView {
  readonly id: string
  readonly email: string
  readonly name: string | null
  readonly role: string
  readonly totp_enabled: boolean
  readonly created_at: string
  readonly last_sign_in_at: string | null
  /** False while the invite waits to be accepted. */
  readonly active: boolean
}

/** What the API shows of a teammate: never a password hash or a TOTP secret. */
export function teammateView(t: TeammateRecord): TeammateView {
  return { id: t.id, email: t.email, name: t.name, role: t.role, totp_enabled: t.totpEnabled, created_at: t.createdAt, last_sign_in_at: t.lastSignInAt, active: t.passwordHash !== null }
}
