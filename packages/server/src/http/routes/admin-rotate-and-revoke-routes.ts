import { z } from 'zod'
import type { AppAdmin } from '../../services/app-admin.js'
import { defineRoute, type Route } from '../route.js'
import { secretSchema } from '../schemas/admin-schemas.js'

/** The one-step answer to an exposed secret (the dashboard's "Rotate and revoke"). */
export function adminRotateAndRevokeRoutes(admin: AppAdmin): Route[] {
  return [
    defineRoute({
      method: 'POST',
      path: '/admin/v1/apps/{app_id}/platforms/{platform}/secrets/{secret_id}/rotate-and-revoke',
      audience: 'admin',
      action: 'secrets.revoke',
      tag: 'admin',
      summary: 'Rotate and revoke: a new secret for the platform and this one revoked, in one step (both or neither)',
      description:
        'For a secret that was exposed (a `secret.exposed` alert): the new secret is returned once; the revoked one stops verifying and the access tokens it verified stop working (on every instance within 2 s). ' +
        'Audited as `secret.created` and `secret.revoked`, with their webhook events. 404 `not_found` when the platform has no active secret with this id (revoked already, or unknown).',
      responses: { 201: { description: 'The new secret; the exposed one is revoked', schema: z.object({ secret: secretSchema, revoked: z.string() }) } },
      errors: ['unauthorized', 'app_not_found', 'not_found', 'invalid_request'],
      handle: async ({ params, actor }) => ({
        status: 201,
        body: { secret: await admin.rotateAndRevoke(params.app_id, params.platform, params.secret_id, actor), revoked: params.secret_id },
      }),
    }),
  ]
}
