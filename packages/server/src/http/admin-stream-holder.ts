import type { Role } from '../authorization/roles.js'
import type { AdminHolder } from '../live/admin-event-streams.js'
import type { Principal } from './admin-principal.js'

/** The credential behind an admin live stream, as the stream checks it again later. */
export function holderOf(principal: Principal): AdminHolder {
  switch (principal.kind) {
    case 'session':
      return { key: `session:${principal.session.id}`, role: principal.role }
    case 'token':
      return { key: `token:${principal.tokenId}`, role: principal.role }
    case 'admin_key':
      return { key: `key:${principal.keyHash}`, role: 'owner' }
  }
}

export interface CredentialChecks {
  readonly sessions: { currentRoles(ids: readonly string[]): Promise<Map<string, Role>> }
  readonly tokens: { currentRoles(ids: readonly string[]): Promise<Map<string, Role>> }
  /** Whether an admin key (by digest) still works: rotate and disable end it (in memory). */
  readonly adminKeyWorks: (keyHash: string) => boolean
}

/** The current role of each credential key that still works: one query for sessions, one for tokens. */
export async function currentRolesOf(keys: readonly string[], checks: CredentialChecks): Promise<Map<string, Role>> {
  const idsOf = (prefix: string): string[] => keys.filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length))
  const [sessions, tokens] = await Promise.all([checks.sessions.currentRoles(idsOf('session:')), checks.tokens.currentRoles(idsOf('token:'))])
  const roles = new Map<string, Role>()
  for (const [id, role] of sessions) roles.set(`session:${id}`, role)
  for (const [id, role] of tokens) roles.set(`token:${id}`, role)
  for (const hash of idsOf('key:')) if (checks.adminKeyWorks(hash)) roles.set(`key:${hash}`, 'owner')
  return roles
}
