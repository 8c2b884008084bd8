import { z } from 'zod'
import type { PublicKeys } from '../../services/public-keys.js'
import { defineRoute, type Route } from '../route.js'
import { addPublicKeySchema, publicKeySchema } from '../schemas/public-key-schemas.js'

export function adminPublicKeyRoutes(keys: PublicKeys): Route[] {
  return [
    defineRoute({
      method: 'POST',
      path: '/admin/v1/apps/{app_id}/platforms/{platform}/public-keys',
      audience: 'admin',
      action: 'keys.manage',
      tag: 'admin',
      summary: 'Register a customer-held public key: a JWK (ES256 on P-256, or EdDSA on Ed25519, with a kid) or a JWKS URL',
      description:
        'Identity tokens whose header names the kid, with the algorithm of the key type, are then verified with this key; Verity holds no signing secret for them. ' +
        'A JWKS URL must be https (http only with VERITY_JWKS_ALLOW_HTTP=1) and is fetched once at once, so a wrong URL is refused now.',
      body: addPublicKeySchema,
      responses: { 201: { description: 'The registered key', schema: z.object({ public_key: publicKeySchema }) } },
      errors: ['invalid_request', 'unauthorized', 'app_not_found', 'not_found', 'public_key_private', 'public_key_unsupported', 'public_key_invalid', 'jwks_url_invalid', 'public_key_exists', 'unsupported_media_type', 'payload_too_large'],
      handle: async ({ params, body, actor }) => {
        const input = body.jwk !== undefined ? { jwk: body.jwk } : { jwks_url: body.jwks_url ?? '' }
        return { status: 201, body: { public_key: await keys.add(params.app_id, params.platform, input, actor) } }
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/admin/v1/apps/{app_id}/platforms/{platform}/public-keys',
      audience: 'admin',
      action: 'apps.read',
      tag: 'admin',
      summary: "A platform's public keys, and for each JWKS URL the kids this server last fetched from it",
      responses: { 200: { description: 'Public keys, oldest first', schema: z.object({ public_keys: z.array(publicKeySchema) }) } },
      errors: ['unauthorized', 'app_not_found', 'not_found'],
      handle: async ({ params }) => ({ status: 200, body: { public_keys: await keys.list(params.app_id, params.platform) } }),
    }),
    defineRoute({
      method: 'DELETE',
      path: '/admin/v1/apps/{app_id}/platforms/{platform}/public-keys/{public_key_id}',
      audience: 'admin',
      action: 'keys.manage',
      tag: 'admin',
      summary: 'Remove a public key, and the sessions it verified',
      responses: { 204: { description: 'Removed' } },
      errors: ['unauthorized', 'app_not_found', 'not_found'],
      handle: async ({ params, actor }) => {
        await keys.remove(params.app_id, params.platform, params.public_key_id, actor)
        return { status: 204 }
      },
    }),
  ]
}
