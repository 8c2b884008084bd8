import { z } from 'zod'
import { MAX_ATTRIBUTE_KEY_CHARACTERS, MAX_ATTRIBUTES, MAX_NAME_CHARACTERS } from '../../profile/apply-profile-patch.js'
import { sessionUserSchema } from './messenger-schemas.js'

const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/

const nameText = z
  .string({ error: 'must be a string or null' })
  .trim()
  .min(1, 'must not be empty (send null to remove the name)')
  .max(MAX_NAME_CHARACTERS, `must be at most ${MAX_NAME_CHARACTERS} characters`)
  .refine((v) => !CONTROL_CHARACTERS.test(v), 'must not contain control characters')
  .refine((v) => v.isWellFormed(), 'must be valid Unicode text')

const attributeName = z
  .string()
  .min(1, 'attribute names must not be empty')
  .max(MAX_ATTRIBUTE_KEY_CHARACTERS, `attribute names are at most ${MAX_ATTRIBUTE_KEY_CHARACTERS} characters`)
  .refine((v) => !CONTROL_CHARACTERS.test(v) && v.isWellFormed(), 'attribute names must be printable Unicode text')

const attributeValue = z.union(
  [
    z.string().refine((v) => !v.includes('\u0000') && v.isWellFormed(), 'must be valid Unicode text without NUL'),
    z.number(),
    z.boolean(),
    z.null(),
  ],
  { error: 'attribute values are strings, numbers, true/false, or null (which removes the attribute)' },
)

const attributesPatch = z.preprocess(
  (value, ctx) => {
    // Zod drops a "__proto__" key without a word; refuse it instead of silently losing it.
    if (typeof value === 'object' && value !== null && Object.hasOwn(value, '__proto__')) {
      ctx.addIssue({ code: 'custom', message: '"__proto__" cannot be an attribute name' })
    }
    return value
  },
  z
    .record(attributeName, attributeValue, { error: 'must be an object of attribute names to values' })
    .refine((v) => Object.keys(v).length <= MAX_ATTRIBUTES, `at most ${MAX_ATTRIBUTES} attributes`)
    .meta({ maxProperties: MAX_ATTRIBUTES }),
)

export const profilePatchSchema = z
  .strictObject({
    name: nameText.nullable().optional(),
    attributes: attributesPatch.optional().meta({
      description: `Merged into the user's attributes; null removes one. At most ${MAX_ATTRIBUTES} attributes and 8 KiB as JSON in all.`,
    }),
  })
  .meta({ id: 'ProfilePatch' })

export const messengerUserSchema = sessionUserSchema
  .extend({
    name: z.string().nullable(),
    attributes: z.record(z.string(), z.unknown()).meta({ description: 'All attributes; signed ones win.' }),
    verified_attributes: z
      .record(z.string(), z.unknown())
      .meta({ description: "The attributes an identity token signed: vouched for by the customer's server; the messenger cannot change them." }),
  })
  .meta({ id: 'MessengerUser' })
