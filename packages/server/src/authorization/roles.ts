/** Teammate roles, from most to least powerful (API.md, "Teammate accounts"). */
export const ROLES = ['owner', 'admin', 'agent'] as const
export type Role = (typeof ROLES)[number]

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value)
}

const RANK: Readonly<Record<Role, number>> = { owner: 3, admin: 2, agent: 1 }

/** Whether `role` grants no more than `ceiling` (an API token's role against its teammate's). */
export function isWithin(role: Role, ceiling: Role): boolean {
  return RANK[role] <= RANK[ceiling]
}

/** The lesser of two roles: a token acts with its own role, never above its teammate's current one. */
export function lesserRole(a: Role, b: Role): Role {
  return RANK[a] <= RANK[b] ? a : b
}
