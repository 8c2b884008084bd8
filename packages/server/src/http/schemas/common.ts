import { z } from 'zod'
import { identifierProblem } from '../../verification/identity.js'
import { PLATFORMS } from '../../verification/platforms.js'

export const platformSchema = z.enum(PLATFORMS, { error: 'must be one of "web", "ios", "android"' })

/** A user id or email: a JSON string (never a number), 1–255 characters, no control characters. */
export const identifierSchema = z
  .string({ error: (issue) => (issue.input === undefined ? undefined : 'must be a JSON string (ids are strings: send "42", not 42)') })
  .superRefine((value, ctx) => {
    const problem = identifierProblem(value)
    if (problem) ctx.addIssue({ code: 'custom', message: problem })
  })
  // The check above counts code points; these keywords say the same to OpenAPI readers.
  .meta({ minLength: 1, maxLength: 255, pattern: '^[^\\u0000-\\u001f\\u007f-\\u009f]*$', description: 'Exact bytes are hashed: no trimming, no case folding.' })

/**
 * Short free text the server stores (versions, device ids). No control characters: PostgreSQL text
 * holds no NUL, and one such value would fail the statistics write of every attempt batched with it.
 */
export const shortText = (max: number) =>
  z
    .string()
    .max(max, `must be at most ${max} characters`)
    .regex(/^[^\u0000-\u001f\u007f-\u009f]*$/, 'must not contain control characters')
    .refine((value) => value.isWellFormed(), 'must be valid Unicode text (no lone surrogates)')

export const errorSchema = z
  .object({
    error: z.object({
      code: z.string().meta({ description: 'Stable, snake_case; see the error catalogue.' }),
      message: z.string().meta({ description: 'A sentence a person can act on. May change.' }),
    }),
  })
  .meta({ id: 'Error' })

export const listQuerySchema = z.strictObject({
  limit: z.coerce.number().int('must be a whole number').min(1, 'must be at least 1').optional(),
  cursor: z.string().optional(),
})
