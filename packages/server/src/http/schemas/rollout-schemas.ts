import { z } from 'zod'
import { DIAGNOSES } from '../../diagnosis/diagnosis.js'
import { DEFAULT_ROLLOUT_DAYS, MAX_ROLLOUT_DAYS } from '../../services/rollout.js'
import { DEFAULT_DAILY_DAYS, MAX_DAILY_DAYS } from '../../services/rollout-daily.js'
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

/** `?days=N`: a window of whole UTC days, today included. */
const daysQuery = (max: number, byDefault: number) =>
  z.strictObject({
    days: z.coerce
      .number()
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .max(max, `must be at most ${max}`)
      .optional()
      .meta({ description: `The window in UTC days, today included (default ${byDefault}).` }),
  })

export const rolloutQuerySchema = daysQuery(MAX_ROLLOUT_DAYS, DEFAULT_ROLLOUT_DAYS)

export const dailySchema = z
  .object({
    days: z.array(
      z.object({
        date: z.string().meta({ description: 'A UTC day, YYYY-MM-DD.' }),
        users: z.number().int().meta({ description: 'Identified users seen that day, each once.' }),
        verified: z.number().int().meta({ description: 'Users who sent a valid proof that day.' }),
        missing: z.number().int().meta({ description: 'Users without a valid proof that day whose latest attempt that day sent no proof.' }),
        invalid: z.number().int().meta({ description: 'Users without a valid proof that day whose latest attempt that day sent a proof that does not verify.' }),
      }),
    ),
  })
  .meta({ id: 'RolloutDaily' })

export const dailyQuerySchema = daysQuery(MAX_DAILY_DAYS, DEFAULT_DAILY_DAYS)

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

export const failuresQuerySchema = listQuerySchema.extend({ platform: platformSchema.optional() })
