import { z } from 'zod'
import type { Actor } from '../../storage/config-change.js'
import type { SecuritySettings } from '../../storage/security-settings-repository.js'
import { VerityError } from '../../errors/verity-error.js'
import { defineRoute, type Route } from '../route.js'

const securitySchema = z.object({ require_totp: z.boolean() }).meta({ id: 'SecuritySettings' })

export function adminSecurityRoutes(deps: { current: () => SecuritySettings; setRequireTotp: (value: boolean, actor: Actor) => Promise<void> }): Route[] {
  const view = () => ({ require_totp: deps.current().requireTotp })
  return [
    defineRoute({
      method: 'GET',
      path: '/admin/v1/security',
      audience: 'admin',
      action: 'teammates.read',
      tag: 'teammates',
      summary: 'Security settings for every teammate',
      responses: { 200: { description: 'The settings', schema: z.object({ security: securitySchema }) } },
      errors: ['unauthorized', 'forbidden'],
      handle: () => ({ status: 200, body: { security: view() } }),
    }),
    defineRoute({
      method: 'PATCH',
      path: '/admin/v1/security',
      audience: 'admin',
      action: 'security.manage',
      tag: 'teammates',
      summary: 'Require two-factor sign-in of every teammate (owner)',
      description: 'While required, a signed-in teammate without two-factor sign-in can reach only their own account (to turn it on); every other call is 403 forbidden. Applies on every instance within 2 s.',
      body: z.strictObject({ require_totp: z.boolean({ error: 'must be true or false' }) }),
      responses: { 200: { description: 'The settings', schema: z.object({ security: securitySchema }) } },
      errors: ['invalid_request', 'unauthorized', 'forbidden', 'csrf_failed', 'reauthentication_required'],
      handle: async ({ body, actor, principal }) => {
        // Requiring it without having it would lock the caller out at once.
        if (body.require_totp && principal?.kind === 'session' && !principal.session.totpEnabled) {
          throw new VerityError('invalid_request', 'Turn on your own two-factor sign-in first (POST /admin/v1/me/totp).')
        }
        await deps.setRequireTotp(body.require_totp, actor)
        return { status: 200, body: { security: view() } }
      },
    }),
  ]
}
