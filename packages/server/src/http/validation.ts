import type { ZodType } from 'zod'
import { VerityError } from '../errors/verity-error.js'

/**
 * Validates untrusted input against a route's schema. The first problem becomes the message,
 * naming the field, so that a `userId` typo is reported instead of making the user anonymous.
 */
export function validate<T>(schema: ZodType<T>, input: unknown, where: 'body' | 'query'): T {
  const result = schema.safeParse(input)
  if (result.success) return result.data
  const issue = result.error.issues[0]!
  const field = issue.path.length > 0 ? issue.path.join('.') : where
  let message: string
  if (issue.code === 'unrecognized_keys') {
    message = `Unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')} in the ${where}.`
  } else if (issue.code === 'invalid_type' && input !== null && typeof input === 'object' && !(issue.path[0]! in input)) {
    message = `"${field}" is required.`
  } else {
    message = `"${field}": ${issue.message}`
  }
  if (where === 'body' && (input === null || typeof input !== 'object' || Array.isArray(input))) {
    message = 'The body must be a JSON object.'
  }
  throw new VerityError('invalid_request', message)
}
