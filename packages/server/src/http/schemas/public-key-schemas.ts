import { z } from 'zod'

// The JWK's members are checked by the service (readPublicJwk), which names what is wrong with a
// key (private, unsupported, invalid) in a code of its own; here only the shape of the body.
export const addPublicKeySchema = z
  .strictObject({
    jwk: z.record(z.string(), z.unknown(), { error: 'must be a JSON object: one public JWK with a kid' }).optional(),
    jwks_url: z.string({ error: 'must be a string: an https:// URL serving a JWKS' }).max(2048, 'must be at most 2048 characters').optional(),
  })
  .refine((body) => (body.jwk === undefined) !== (body.jwks_url === undefined), { message: 'send exactly one of "jwk" and "jwks_url"' })

export const publicKeySchema = z
  .object({
    id: z.string(),
    platform: z.enum(['web', 'ios', 'android']),
    kind: z.enum(['jwk', 'jwks_url']),
    kid: z.string().nullable(),
    alg: z.string().nullable(),
    jwk: z.record(z.string(), z.string()).nullable(),
    jwks_url: z.string().nullable(),
    created_at: z.string(),
    jwks: z.object({ kids: z.array(z.string()), fetched_at: z.string().nullable(), last_error: z.string().nullable() }).optional(),
  })
  .meta({ id: 'PublicKey' })
