import { describe, expect, it } from 'vitest'
import { ADMIN_ACTIONS, isAllowed, isSensitive, type AdminAction } from './admin-permissions.js'
import { ROLES } from './roles.js'

// The whole table, spelled out: a change to a role's rights must change this test.
const EXPECTED: Record<AdminAction, readonly string[]> = {
  'apps.read': ['owner', 'admin'],
  'apps.create': ['owner', 'admin'],
  'apps.delete': ['owner', 'admin'],
  'platforms.enforce': ['owner', 'admin'],
  'secrets.read': ['owner', 'admin'],
  'secrets.rotate': ['owner', 'admin'],
  'secrets.revoke': ['owner', 'admin'],
  'keys.manage': ['owner', 'admin'],
  'rollout.read': ['owner', 'admin'],
  'proofs.test': ['owner', 'admin'],
  'failures.read': ['owner', 'admin'],
  'alerts.read': ['owner', 'admin'],
  'audit.read': ['owner', 'admin'],
  'webhooks.read': ['owner', 'admin'],
  'webhooks.manage': ['owner', 'admin'],
  'conversations.read': ['owner', 'admin', 'agent'],
  'conversations.reply': ['owner', 'admin', 'agent'],
  'users.erase': ['owner', 'admin'],
  'users.sign_out': ['owner', 'admin'],
  'teammates.read': ['owner', 'admin'],
  'teammates.manage': ['owner'],
  'security.manage': ['owner'],
  self: ['owner', 'admin', 'agent'],
  'tokens.manage': ['owner', 'admin', 'agent'],
}

describe('isAllowed', () => {
  for (const action of ADMIN_ACTIONS) {
    for (const role of ROLES) {
      it(`${role} ${EXPECTED[action].includes(role) ? 'may' : 'may not'} ${action}`, () => {
        expect(isAllowed(role, action)).toBe(EXPECTED[action].includes(role))
      })
    }
  }
  it('agents are refused every action that shows a secret or a security setting', () => {
    for (const action of ['apps.read', 'secrets.read', 'platforms.enforce', 'audit.read', 'failures.read', 'rollout.read'] as const) expect(isAllowed('agent', action)).toBe(false)
  })
  it('reading or changing secrets, enforcement, teammates and tokens, and deleting data, is sensitive', () => {
    expect(ADMIN_ACTIONS.filter(isSensitive).sort()).toEqual(['apps.delete', 'keys.manage', 'platforms.enforce', 'secrets.read', 'secrets.revoke', 'secrets.rotate', 'security.manage', 'teammates.manage', 'tokens.manage', 'users.erase', 'webhooks.manage'])
  })
})
