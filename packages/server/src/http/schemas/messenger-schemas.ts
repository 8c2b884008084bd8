import { z } from 'zod'
import { identifierSchema, platformSchema, shortText } from './common.js'

export const authRequestSchema = z
  .strictObject({
    app_id: z.string().min(1, 'must not be empty').max(64, 'must be at most 64 characters'),
    platform: platformSchema,
    user_id: identifierSchema.optional(),
    email: identifierSchema.optional(),
    user_hash: z.string().max(512, 'must be at most 512 characters').optional(),
    identity_token: z.string().max(8192, 'must be at most 8192 characters').optional(),
    device_id: shortText(128).optional(),
    app_version: shortText(64).optional(),
    sdk_version: shortText(64).optional(),
  })
  .meta({ id: 'AuthRequest' })

export const sessionUserSchema = z
  .object({
    user_id: z.string().nullable(),
    email: z.string().nullable(),
    anonymous: z.boolean(),
    verified: z.boolean(),
    email_verified: z
      .boolean()
      .meta({ description: 'True when the proof covered the email: hashed alone, or signed by an identity token. An email sent beside a user_id that the hash proved is only a claim (false).' }),
    device_id: z.string().optional().meta({ description: 'For unverified and anonymous sessions: send it back to resume this device.' }),
  })
  .meta({ id: 'SessionUser' })

export const authResponseSchema = z
  .object({
    access_token: z.string(),
    token_type: z.literal('Bearer'),
    expires_in: z.number().int(),
    user: sessionUserSchema,
  })
  .meta({ id: 'AuthResponse' })
