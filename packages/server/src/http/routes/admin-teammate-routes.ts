import { z } from 'zod'
import type { GuessGuard } from '../../limits/guess-guard.js'
import type { ApiTokens } from '../../teammates/api-tokens.js'
import type { TeammateDirectory } from '../../teammates/teammate-directory.js'
import type { TeammateSessions } from '../../teammates/teammate-sessions.js'
import { teammateView } from '../../teammates/teammate-views.js'
import { defineRoute, type Route } from '../route.js'
import { sessionOf } from './admin-session-routes.js'
import {
  acceptInviteSchema,
  apiTokenSchema,
  changePasswordSchema,
  inviteSchema,
  newTokenSchema,
  sessionSchema,
  setRoleSchema,
  teammateSchema,
  totpCodeSchema,
} from '../schemas/teammate-schemas.js'

export interface TeammateRouteDeps {
  readonly directory: TeammateDirectory
  readonly sessions: TeammateSessions
  readonly tokens: ApiTokens
  readonly guesses: GuessGuard
  /** Where invite links point: VERITY_PUBLIC_URL, else the address this server listens at. */
  readonly publicUrl: () => string
}

export function adminTeammateRoutes(deps: TeammateRouteDeps): Route[] {
  const { directory, sessions, tokens, guesses } = deps
  return [
    defineRoute({
      method: 'GET',
      path: '/admin/v1/teammates',
      audience: 'admin',
      action: 'teammates.read',
      tag: 'teammates',
      summary: 'The teammates, oldest first',
      responses: { 200: { description: 'Teammates', schema: z.object({ teammates: z.array(teammateSchema) }) } },
      errors: ['unauthorized', 'forbidden'],
      handle: async () => ({ status: 200, body: { teammates: (await directory.list()).map(teammateView) } }),
    }),
    defineRoute({
      method: 'POST',
      path: '/admin/v1/teammates',
      audience: 'admin',
      action: 'teammates.manage',
      tag: 'teammates',
      summary: 'Invite a teammate: the answer holds the single-use invite link (72 hours)',
      body: inviteSchema,
      responses: { 201: { description: 'The teammate and the invite link', schema: z.object({ teammate: teammateSchema, invite_url: z.string() }) } },
      errors: ['invalid_request', 'unauthorized', 'forbidden', 'csrf_failed', 'reauthentication_required'],
      handle: async ({ body, actor }) => {
        const { teammate, inviteUrl } = await directory.invite({ email: body.email, name: body.name ?? null, role: body.role }, deps.publicUrl(), { actor })
        return { status: 201, body: { teammate: teammateView(teammate), invite_url: inviteUrl } }
      },
    }),
    defineRoute({
      method: 'PATCH',
      path: '/admin/v1/teammates/{teammate_id}',
      audience: 'admin',
      action: 'teammates.manage',
      tag: 'teammates',
      summary: "Change a teammate's role; their sessions and API tokens end at once",
      body: setRoleSchema,
      responses: { 200: { description: 'The teammate', schema: z.object({ teammate: teammateSchema }) } },
      errors: ['invalid_request', 'unauthorized', 'forbidden', 'not_found', 'last_owner', 'csrf_failed', 'reauthentication_required'],
      handle: async ({ params, body, actor }) => ({ status: 200, body: { teammate: teammateView(await directory.setRole(params.teammate_id!, body.role, { actor })) } }),
    }),
    defineRoute({
      method: 'DELETE',
      path: '/admin/v1/teammates/{teammate_id}',
      audience: 'admin',
      action: 'teammates.manage',
      tag: 'teammates',
      summary: 'Remove a teammate; their sessions and API tokens end at once',
      responses: { 204: { description: 'Removed' } },
      errors: ['unauthorized', 'forbidden', 'not_found', 'last_owner', 'csrf_failed', 'reauthentication_required'],
      handle: async ({ params, actor }) => {
        await directory.remove(params.teammate_id!, { actor })
        return { status: 204 }
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/admin/v1/invites/accept',
      audience: 'public',
      tag: 'teammates',
      summary: 'Accept an invite: set the password (12+ characters, not a common one)',
      body: acceptInviteSchema,
      responses: { 200: { description: 'The teammate, who can now sign in', schema: z.object({ teammate: teammateSchema }) } },
      errors: ['invalid_request', 'invite_expired', 'rate_limited', 'unavailable'],
      handle: async ({ body, client }) => {
        const teammate = await guesses.checkAsync(client, true, () => directory.acceptInvite(body.token, body.password, body.name ?? null, client))
        return { status: 200, body: { teammate: teammateView(teammate) } }
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/admin/v1/me/password',
      audience: 'admin',
      action: 'self',
      sessionOnly: true,
      tag: 'teammates',
      summary: 'Change your password; every other session of yours ends',
      body: changePasswordSchema,
      responses: { 204: { description: 'Changed' } },
      errors: ['invalid_request', 'unauthorized', 'invalid_credentials', 'forbidden', 'csrf_failed', 'rate_limited'],
      handle: async ({ body, principal, actor, client }) => {
        await guesses.checkAsync(client, true, () => sessions.changePassword(sessionOf(principal), body.current_password, body.new_password, { actor }))
        return { status: 204 }
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/admin/v1/me/sessions',
      audience: 'admin',
      action: 'self',
      sessionOnly: true,
      tag: 'teammates',
      summary: 'Your sessions, newest first',
      responses: { 200: { description: 'Sessions', schema: z.object({ sessions: z.array(sessionSchema) }) } },
      errors: ['unauthorized', 'forbidden'],
      handle: async ({ principal }) => {
        const current = sessionOf(principal)
        const list = await sessions.list(current)
        return {
          status: 200,
          body: { sessions: list.map((s) => ({ id: s.id, created_at: s.createdAt, last_seen_at: s.lastSeenAt, ip: s.ip, user_agent: s.userAgent, current: s.id === current.id })) },
        }
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/admin/v1/me/sessions/{session_id}',
      audience: 'admin',
      action: 'self',
      sessionOnly: true,
      tag: 'teammates',
      summary: 'End one of your sessions',
      responses: { 204: { description: 'Ended' } },
      errors: ['unauthorized', 'forbidden', 'not_found', 'csrf_failed'],
      handle: async ({ params, principal }) => {
        await sessions.end(sessionOf(principal), params.session_id!)
        return { status: 204 }
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/admin/v1/me/sessions',
      audience: 'admin',
      action: 'self',
      sessionOnly: true,
      tag: 'teammates',
      summary: 'End every other session of yours',
      responses: { 204: { description: 'Ended' } },
      errors: ['unauthorized', 'forbidden', 'csrf_failed'],
      handle: async ({ principal }) => {
        await sessions.endOthers(sessionOf(principal))
        return { status: 204 }
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/admin/v1/me/totp',
      audience: 'admin',
      action: 'self',
      sessionOnly: true,
      tag: 'teammates',
      summary: 'Start two-factor sign-in: a secret for an authenticator app (RFC 6238, SHA-1, 6 digits, 30 s)',
      responses: { 200: { description: 'The secret, base32, and an otpauth:// URL for a QR code', schema: z.object({ secret: z.string(), otpauth_url: z.string() }) } },
      errors: ['invalid_request', 'unauthorized', 'forbidden', 'csrf_failed'],
      handle: async ({ principal }) => ({ status: 200, body: await sessions.beginTotp(sessionOf(principal)) }),
    }),
    defineRoute({
      method: 'POST',
      path: '/admin/v1/me/totp/confirm',
      audience: 'admin',
      action: 'self',
      sessionOnly: true,
      tag: 'teammates',
      summary: 'Turn two-factor sign-in on with a code from the app; answers 10 single-use recovery codes, shown once',
      body: totpCodeSchema,
      responses: { 200: { description: 'Recovery codes', schema: z.object({ recovery_codes: z.array(z.string()) }) } },
      errors: ['invalid_request', 'unauthorized', 'totp_invalid', 'forbidden', 'csrf_failed', 'rate_limited'],
      handle: async ({ body, principal, actor, client }) => ({
        status: 200,
        body: { recovery_codes: await guesses.checkAsync(client, true, () => sessions.confirmTotp(sessionOf(principal), body.code, { actor })) },
      }),
    }),
    defineRoute({
      method: 'POST',
      path: '/admin/v1/me/tokens',
      audience: 'admin',
      action: 'tokens.manage',
      sessionOnly: true,
      tag: 'teammates',
      summary: 'Create a personal API token: its value (vpt_…) is shown this once',
      description: "Use it as Authorization: Bearer on the admin API. Its role is yours unless a lower one is asked; it never acts above your role.",
      body: newTokenSchema,
      responses: { 201: { description: 'The token, with its value', schema: z.object({ token: apiTokenSchema.extend({ value: z.string() }) }) } },
      errors: ['invalid_request', 'unauthorized', 'forbidden', 'csrf_failed', 'reauthentication_required'],
      handle: async ({ body, principal, actor }) => {
        const session = sessionOf(principal)
        const token = await tokens.create({ teammateId: session.teammateId, role: session.role }, { name: body.name, role: body.role, expiresInDays: body.expires_in_days }, { actor })
        return { status: 201, body: { token } }
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/admin/v1/me/tokens',
      audience: 'admin',
      action: 'self',
      sessionOnly: true,
      tag: 'teammates',
      summary: 'Your API tokens (never their values)',
      responses: { 200: { description: 'Tokens', schema: z.object({ tokens: z.array(apiTokenSchema) }) } },
      errors: ['unauthorized', 'forbidden'],
      handle: async ({ principal }) => ({ status: 200, body: { tokens: await tokens.list(sessionOf(principal).teammateId) } }),
    }),
    defineRoute({
      method: 'DELETE',
      path: '/admin/v1/me/tokens/{token_id}',
      audience: 'admin',
      action: 'tokens.manage',
      sessionOnly: true,
      tag: 'teammates',
      summary: 'Revoke one of your API tokens',
      responses: { 204: { description: 'Revoked' } },
      errors: ['unauthorized', 'forbidden', 'not_found', 'csrf_failed', 'reauthentication_required'],
      handle: async ({ params, principal, actor }) => {
        await tokens.revoke(sessionOf(principal).teammateId, params.token_id!, { actor })
        return { status: 204 }
      },
    }),
  ]
}
