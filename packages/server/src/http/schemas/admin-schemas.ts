import { z } from 'zod'
import { ENVIRONMENTS } from '../../storage/app-repository.js'

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
