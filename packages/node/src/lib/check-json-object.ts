/**
 * Checks that a value is a plain JSON object that survives `JSON.stringify` unchanged.
 *
 * @module
 */

import { describe } from './describe.js'

/**
 * Throws a TypeError unless `value` is a plain object of JSON values all the way down.
 *
 * `JSON.stringify` would quietly drop `undefined`, turn `NaN` into `null` and a `Date` into a
 * string, so the signed attributes would differ from what the caller wrote; refusing is kinder.
 */
export function assertJsonObject(
  fn: string,
  path: string,
  value: unknown,
): asserts value is Record<string, unknown> {
  if (!isPlainObject(value)) {
    throw new TypeError(
      `${fn}: ${path} must be a plain object such as { plan: 'pro' }, got ${describe(value)}`,
    )
  }
  checkValue(fn, path, value, [])
}

function checkValue(fn: string, path: string, value: unknown, parents: unknown[]): void {
  const fail = (problem: string): never => {
    throw new TypeError(`${fn}: ${path} ${problem}; attributes must be JSON`)
  }
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return
    case 'number':
      if (!Number.isFinite(value)) fail(`is ${value}, which JSON cannot hold`)
      return
    case 'undefined':
      return fail('is undefined; leave it out or use null')
    case 'bigint':
      return fail('is a bigint; pass it as a string')
    case 'object':
      break
    default:
      return fail(`is ${describe(value)}`)
  }
  if (value === null) return
  if (value instanceof Date) return fail('is a Date; pass date.toISOString()')
  if (!Array.isArray(value) && !isPlainObject(value)) {
    fail(`is ${describe(value)}, not a plain object`)
  }
  if (parents.includes(value)) fail('refers back to itself')
  const inside = [...parents, value]
  if (Array.isArray(value)) {
    // An index loop, not forEach, so that holes are seen: JSON would write them as null.
    for (let index = 0; index < value.length; index++) {
      checkValue(fn, `${path}[${index}]`, value[index], inside)
    }
  } else {
    for (const [key, item] of Object.entries(value)) {
      checkValue(fn, `${path}${property(key)}`, item, inside)
    }
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false
  const prototype = Object.getPrototypeOf(value)
  return prototype === Object.prototype || prototype === null
}

function property(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`
}
