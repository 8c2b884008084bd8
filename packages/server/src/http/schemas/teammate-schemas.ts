import { z } from 'zod'
import { ROLES } from '../../authorization/roles.js'

const roleSchema = z.enum(ROLES, { error: 'must be one of "owner", "admin", "agent"' })
const emailSchema = z.string().min(3, 'must be an email address').max(254, 'must be at most 254 characters')
// Long enough for any passphrase; the length policy itself (12+) answers its own message.
const passwordSchema = z.string().min(1, 'must not be empty').max(1024, 'must be at most 1024 characters')
const nameSchema = z.string().trim().min(1).max(100).regex(/^[^\u0000-\u001f\u007f]*$/, 'must not contain control characters')
const codeSchema = z.string().min(1).max(32)

export const signInSchema = z.strictObject({ email: emailSchema, password: passwordSchema, totp: codeSchema.optional() })
export const confirmSchema = z.strictObject({ password: passwordSchema.optional(), totp: codeSchema.optional() })
export const inviteSchema = z.strictObject({ email: emailSchema, name: nameSchema.optional(), role: roleSchema })
export const acceptInviteSchema = z.strictObject({ token: z.string().min(1).max(200), password: passwordSchema, name: nameSchema.optional() })
export const setRoleSchema = z.strictObject({ role: roleSchema })
export const changePasswordSchema = z.strictObject({ current_password: passwordSchema, new_password: passwordSchema })
export const totpCodeSchema = z.strictObject({ code: codeSchema })
export const newTokenSchema = z.strictObject({
  name: nameSchema,
  role: roleSchema.optional(),
  expires_in_days: z.number().int('must be a whole number').min(1, 'must be at least 1').max(3650, 'must be at most 3650').optional(),
})

export const teammateSchema = z
  .object({
    id: z.string(),
    email: z.string(),
    name: z.string().nullable(),
    role: roleSchema,
    totp_enabled: z.boolean(),
    created_at: z.string(),
    last_sign_in_at: z.string().nullable(),
    active: z.boolean().meta({ description: 'false while the invite waits to be accepted' }),
  })
  .meta({ id: 'Teammate' })
export const sessionSchema = z
  .object({ id: z.string(), created_at: z.string(), last_seen_at: z.string(), ip: z.string(), user_agent: z.string().nullable(), current: z.boolean() })
  .meta({ id: 'TeammateSession' })
export const apiTokenSchema = z
  .object({ id: z.string(), name: z.string(), role: roleSchema, created_at: z.string(), expires_at: z.string().nullable(), last_used_at: z.string().nullable() })
  .meta({ id: 'ApiToken' })
