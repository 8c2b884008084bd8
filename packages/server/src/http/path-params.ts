import type { ErrorCode } from '../errors/error-catalogue.js'
import { VerityError } from '../errors/verity-error.js'
import { PLATFORMS } from '../verification/platforms.js'

interface ParamRule {
  readonly valid: (value: string) => boolean
  readonly code: ErrorCode
  readonly message: string
}

const idOf = (prefix: string) => new RegExp(`^${prefix}_[0-9a-z]{26}$`)
const matches = (pattern: RegExp) => (value: string) => pattern.test(value)

/**
 * What each path parameter may be. A platform in the path names a resource, so an unknown one is
 * 404 (a query string's is 400). A value that cannot name anything (a wrong prefix, a control
 * character, 10 KB of junk) is answered like an unknown one, before any storage is read.
 */
const RULES: Readonly<Record<string, ParamRule>> = {
  app_id: { valid: matches(idOf('app')), code: 'app_not_found', message: 'No app has this id.' },
  platform: { valid: (value) => (PLATFORMS as readonly string[]).includes(value), code: 'not_found', message: 'Platforms are exactly web, ios and android.' },
  secret_id: { valid: matches(idOf('sec')), code: 'not_found', message: 'This platform has no secret with this id.' },
  webhook_id: { valid: matches(idOf('whk')), code: 'not_found', message: 'No webhook has this id.' },
  conversation_id: { valid: matches(idOf('conv')), code: 'not_found', message: 'No conversation has this id.' },
  public_key_id: { valid: matches(idOf('pk')), code: 'not_found', message: 'This platform has no public key with this id.' },
  teammate_id: { valid: matches(idOf('tm')), code: 'not_found', message: 'No teammate has this id.' },
  session_id: { valid: matches(idOf('ses')), code: 'not_found', message: 'You have no session with this id.' },
  token_id: { valid: matches(idOf('tok')), code: 'not_found', message: 'You have no API token with this id.' },
}

/** Any other parameter: a short token of letters, digits, `_` and `-`, so nothing odd reaches a handler. */
const ANY: ParamRule = { valid: matches(/^[\w-]{1,128}$/), code: 'not_found', message: 'Not found.' }

export const KNOWN_PATH_PARAMS: readonly string[] = Object.keys(RULES)

/** Checks every path parameter of a matched route: 404 with the code of what it names when it cannot exist. */
export function checkPathParams(params: Readonly<Record<string, string>>): void {
  for (const name in params) {
    const rule = RULES[name] ?? ANY
    if (!rule.valid(params[name]!)) throw new VerityError(rule.code, rule.message)
  }
}
