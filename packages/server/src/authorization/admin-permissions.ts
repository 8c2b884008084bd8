import type { Role } from './roles.js'

/**
 * Everything an admin route can do, one name per kind of call. Every admin route names its
 * action (http/route.ts), and the request handler asks `isAllowed` before the route runs: the one
 * place where roles are decided.
 */
export const ADMIN_ACTIONS = [
  'apps.read',
  'apps.create',
  /** Deleting an app and everything it holds. */
  'apps.delete',
  'platforms.enforce',
  'secrets.read',
  'secrets.rotate',
  'secrets.revoke',
  /** Registering or removing a customer-held public key (it decides who is verified). */
  'keys.manage',
  'rollout.read',
  /** Testing a user hash or identity token (never shows a secret; records nothing). */
  'proofs.test',
  'failures.read',
  /** Failure spikes and exposed secrets. */
  'alerts.read',
  'audit.read',
  'webhooks.read',
  /** Creating, deleting, testing webhooks and rotating their secrets (shown once). */
  'webhooks.manage',
  'conversations.read',
  'conversations.reply',
  /** Erasing one user's data. */
  'users.erase',
  /** Ending every session of one user. */
  'users.sign_out',
  'teammates.read',
  'teammates.manage',
  /** Settings for every teammate (two-factor sign-in required). */
  'security.manage',
  /** One's own session, password, two-factor sign-in, sessions. */
  'self',
  /** One's own API tokens. */
  'tokens.manage',
] as const
export type AdminAction = (typeof ADMIN_ACTIONS)[number]

// Agents answer conversations: never a secret value, never a security setting (apps show
// whether each platform is enforced, so agents do not read apps either).
const AGENT: ReadonlySet<AdminAction> = new Set(['conversations.read', 'conversations.reply', 'self', 'tokens.manage'])
const ADMIN: ReadonlySet<AdminAction> = new Set(ADMIN_ACTIONS.filter((a) => a !== 'teammates.manage' && a !== 'security.manage'))

export function isAllowed(role: Role, action: AdminAction): boolean {
  switch (role) {
    case 'owner':
      return true
    case 'admin':
      return ADMIN.has(action)
    case 'agent':
      return AGENT.has(action)
  }
}

// Reading secret values, rotate, revoke, public keys, webhooks, enforce on or off, teammates, tokens, deleting data: from a dashboard
// session these need the password (or a code) confirmed within the last 10 minutes.
const SENSITIVE: ReadonlySet<AdminAction> = new Set([
  'secrets.read',
  'secrets.rotate',
  'secrets.revoke',
  'keys.manage',
  'webhooks.manage',
  'platforms.enforce',
  'teammates.manage',
  'security.manage',
  'tokens.manage',
  // Deleting data.
  'apps.delete',
  'users.erase',
])

export function isSensitive(action: AdminAction): boolean {
  return SENSITIVE.has(action)
}
