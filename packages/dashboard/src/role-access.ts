/**
 * What each role may open. Agents answer conversations: the navigation shows them the Inbox and
 * their Account only, they land on the Inbox, and any other address brings them there (the API
 * refuses them the rest with 403 forbidden anyway).
 */
const AGENT_PATHS: readonly string[] = ['/inbox', '/account']

export function homeOf(role: string): string {
  return role === 'agent' ? '/inbox' : '/apps'
}

export function mayOpen(role: string, path: string): boolean {
  return role !== 'agent' || AGENT_PATHS.some((p) => path === p || path.startsWith(`${p}/`))
}
