/**
 * Control characters in request text. PostgreSQL refuses NUL in text outright (a 500 if it ever
 * reached a query), SQLite keeps it, and other control characters are never part of an id, a
 * cursor or a name and break logs. One rule, checked before any route runs, keeps both databases
 * identical and the answer a 400:
 * - path parameters and query names and values: no control character at all (C0, DEL, C1);
 * - JSON bodies, every string and every field name at any depth: no control character other than
 *   tab and line breaks (messages are text). Fields may refuse more (ids refuse all of them).
 */
const IN_URL = /[\u0000-\u001f\u007f-\u009f]/
const IN_BODY = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/

/** The first path parameter or query entry with a control character: its name, or null. */
export function urlControlCharacter(entries: Iterable<readonly [string, string]>): string | null {
  for (const [name, value] of entries) {
    if (IN_URL.test(name)) return 'a query parameter name'
    if (IN_URL.test(value)) return `"${name}"`
  }
  return null
}

/**
 * Where a parsed JSON body holds a control character (`"attributes.nick"`, `a field name in
 * "attributes"`, `the body`), or null. Iterative: a body nested thousands deep must not overflow
 * the stack.
 */
export function bodyControlCharacter(body: unknown): string | null {
  if (typeof body === 'string') return IN_BODY.test(body) ? 'the body' : null
  if (typeof body !== 'object' || body === null) return null
  // Strings are tested where they are met and paths built only for what is nested or refused, so
  // a flat body (the usual one) allocates next to nothing.
  const stack: { value: object; path: string }[] = [{ value: body, path: '' }]
  while (stack.length > 0) {
    const { value, path } = stack.pop()!
    const at = (key: string | number): string => (path === '' ? String(key) : `${path}.${key}`)
    const keys = Array.isArray(value) ? null : Object.keys(value)
    const count = keys === null ? (value as unknown[]).length : keys.length
    for (let i = 0; i < count; i++) {
      const key = keys === null ? i : keys[i]!
      if (typeof key === 'string' && IN_BODY.test(key)) return path === '' ? 'a field name in the body' : `a field name in "${path}"`
      const item = (value as Record<string | number, unknown>)[key]
      if (typeof item === 'string') {
        if (IN_BODY.test(item)) return `"${at(key)}"`
      } else if (typeof item === 'object' && item !== null) {
        stack.push({ value: item, path: at(key) })
      }
    }
  }
  return null
}
