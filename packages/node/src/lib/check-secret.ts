/**
 * Checks the `secret` argument before it becomes an HMAC key.
 *
 * @module
 */

import { describe } from './describe.js'

// Verity never puts a line break in a secret, so one at either end means the value was read wrongly
// (a file's last line, `echo` without -n), which would make every hash silently wrong. Other bytes
// are left alone: the key is the secret's exact UTF-8 bytes.
const LINE_BREAK_AT_END = /^[\r\n]|[\r\n]$/

/** Throws a TypeError unless `secret` is a plausible Verity platform secret. */
export function assertSecret(fn: string, secret: unknown): asserts secret is string {
  if (typeof secret !== 'string') {
    const hint = secret === undefined ? '; is the environment variable that holds it set?' : ''
    throw new TypeError(
      `${fn}: secret must be a string (a platform secret of your Verity app), ` +
        `got ${describe(secret)}${hint}`,
    )
  }
  if (secret === '') {
    throw new TypeError(`${fn}: secret is empty; is the environment variable that holds it set?`)
  }
  if (LINE_BREAK_AT_END.test(secret)) {
    throw new TypeError(
      `${fn}: secret starts or ends with a line break, as when read from a file or \`echo\`; ` +
        'Verity secrets have none, so trim the value where you read it',
    )
  }
}
