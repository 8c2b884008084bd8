import { z } from 'zod'
import { DIAGNOSES } from '../../diagnosis/diagnosis.js'
import { MAX_ROLLOUT_DAYS } from '../../services/rollout.js'
import { listQuerySchema, platformSchema } from './common.js'

const counts = {
  users: z.number().int(),
  verified: z.number().int().meta({ description: 'Users who sent a valid proof in the window: later attempts without one do not undo it.' }),
  missing: z.number().int().meta({ description: 'Users without a valid proof in the window whose latest attempt sent no proof.' }),
  invalid: z.number().int().meta({ description: 'Users without a valid proof in the window whose latest attempt sent a proof that does not verify.' }),
}

export const forecastSchema = z
  .object({
    would_be_refused: z.number().int().meta({ description: 'Users of the window who would get 401 if the platform were enforced (missing + invalid).' }),
    app_versions: z.array(z.string().nullable()).meta({ description: 'The app versions those users were on; null for attempts without app_version.' }),
  })
  .meta({ id: 'Forecast' })

export const rolloutSchema = z
  .object({
    window_days: z.number().int(),
    totals: z.object(counts),
    versions: z.array(z.object({ app_version: z.string().nullable(), ...counts, last_seen_at: z.string() })),
    secrets: z.array(
      z.object({
        id: z.string(),
        users: z.number().int().meta({ description: 'Users whose latest valid proof in the window verified with this secret.' }),
        last_used_at: z.string().nullable(),
      }),
    ),
    forecast: forecastSchema,
  })
  .meta({ id: 'Rollout' })

export const rolloutQuerySchema = z.strictObject({
  days: z.coerce
    .number()
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(MAX_ROLLOUT_DAYS, `must be at most ${MAX_ROLLOUT_DAYS}`)
    .optional()
    .meta({ description: 'The window in days (default 7).' }),
})

export const failureSchema = z
  .object({
    at: z.string(),
    platform: platformSchema,
    user_id: z.string().nullable(),
    email: z.string().nullable(),
    app_version: z.string().nullable(),
    refused: z.boolean().meta({ description: 'True when the attempt got 401; false when a platform not enforced let the user in unverified.' }),
    code: z.enum(['user_hash_missing', 'user_hash_invalid']),
    diagnosis: z.enum(DIAGNOSES).meta({ description: 'What Verity found: see docs/troubleshooting.md. Never shown to the client.' }),
  })
  .meta({ id: 'Failure' })

export const failuresQuerySchema = listQuerySchema.extend({
  platform: platformSchema.optional(),
  diagnosis: z.enum(DIAGNOSES).optional().meta({ description: 'Only failures with this diagnosis.' }),
})
