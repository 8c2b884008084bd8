/** Characters, counted as code points (as JSON Schema's maxLength counts them: an emoji is one). */
export const MAX_MESSAGE_CHARACTERS = 10_000

// Tabs and line breaks are text; other control characters are not, and NUL cannot be stored in
// PostgreSQL at all, so refusing them here keeps both databases identical and never a 500.
const FORBIDDEN_CONTROLS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/

/** Why a message body is refused, or null when it is acceptable. Bodies are kept exactly as sent. */
export function messageBodyProblem(body: string): string | null {
  if (body.trim() === '') return 'must not be empty or only whitespace'
  if (body.length > MAX_MESSAGE_CHARACTERS && countCodePoints(body) > MAX_MESSAGE_CHARACTERS) {
    return `must be at most ${MAX_MESSAGE_CHARACTERS} characters`
  }
  if (FORBIDDEN_CONTROLS.test(body)) return 'must not contain control characters other than tabs and line breaks'
  if (!body.isWellFormed()) return 'must be valid Unicode text'
  return null
}

function countCodePoints(value: string): number {
  let count = 0
  for (const _ of value) count++
  return count
}
