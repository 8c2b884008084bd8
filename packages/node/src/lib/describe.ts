/**
 * Names the type of a wrong argument for an error message.
 *
 * @module
 */

/** `'a number'`, `'null'`, `'an array'`, `'a Date'`… for "must be a string, got …" messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null'
  if (value === undefined) return 'undefined'
  if (Array.isArray(value)) return 'an array'
  const type = typeof value
  if (type !== 'object') return `${article(type)} ${type}`
  const name = Object.getPrototypeOf(value)?.constructor?.name
  return typeof name === 'string' && name !== '' && name !== 'Object'
    ? `${article(name)} ${name}`
    : 'an object'
}

// By sound, not letter, as far as type names go: an Error, an Int8Array, a URL, a Uint8Array.
function article(word: string): string {
  return /^(?:[aeio]|u[nm])/i.test(word) ? 'an' : 'a'
}
