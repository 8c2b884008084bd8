import { z } from 'zod'
import { ENVIRONMENTS } from '../../storage/app-repository.js'
import { identifierSchema } from './common.js'

const nameSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(100, 'must be at most 100 characters')
  .regex(/^[^\u0000-\u001f\u007f]*$/, 'must not contain control characters')

export const createAppSchema = z.strictObject({
  name: nameSchema,
  environment: z.enum(ENVIRONMENTS, { error: 'must be one of "development", "test", "production"' }),
})

export const enforceSchema = z.strictObject({ enforced: z.boolean({ error: 'must be true or false' }) })

export const secretMetaSchema = z.object({ id: z.string(), created_at: z.string(), last_used_at: z.string().nullable() }).meta({ id: 'SecretMeta' })
export const secretSchema = z.object({ id: z.string(), value: z.string(), created_at: z.string(), last_used_at: z.string().nullable() }).meta({ id: 'Secret' })
export const platformDocSchema = z.object({ enforced: z.boolean(), secrets: z.array(secretMetaSchema) }).meta({ id: 'Platform' })
export const appSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    environment: z.enum(ENVIRONMENTS),
    created_at: z.string(),
    platforms: z.object({ web: platformDocSchema, ios: platformDocSchema, android: platformDocSchema }),
  })
  .meta({ id: 'App' })
export const auditEventSchema = z
  .object({
    id: z.string(),
    at: z.string(),
    actor: z.string(),
    action: z.string(),
    app_id: z.string().nullable(),
    platform: z.string().nullable(),
    target: z.string().nullable(),
    details: z.record(z.string(), z.unknown()).nullable(),
    client: z.string().nullable().meta({ description: 'The client address of the change; null from the CLI' }),
  })
  .meta({ id: 'AuditEvent' })

/** One user of an app, by exactly one namespace (a user id and an email are different users). */
export const userSelectorSchema = z
  .strictObject({ user_id: identifierSchema.optional(), email: identifierSchema.optional() })
  .refine((v) => (v.user_id === undefined) !== (v.email === undefined), 'send exactly one of "user_id" or "email"')
  .meta({ id: 'UserSelector', minProperties: 1, maxProperties: 1, description: 'Exactly one of user_id or email: the namespace the user is known by, as the messenger sent it.' })

export const deleteAppQuerySchema = z.strictObject({
  confirm: z.string().optional().meta({ description: 'The app id again: a deletion cannot be undone.' }),
})
