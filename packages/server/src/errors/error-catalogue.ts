/**
 * The one catalogue of error codes Verity answers with. Codes are stable API: never rename one,
 * only add. Messages are defaults a person can act on; call sites may give a more precise one,
 * but never one that carries a secret, a hash, a token or a key.
 */
export const ERROR_CATALOGUE = {
  invalid_request: { status: 400, message: 'The request is not valid.' },
  confirmation_required: {
    status: 400,
    message: 'This deletes data for good: confirm by repeating the id of what is deleted (?confirm=<app_id>).',
  },
  user_hash_missing: {
    status: 401,
    message: 'This platform requires identity verification: send user_hash or identity_token with the user.',
  },
  user_hash_invalid: {
    status: 401,
    message:
      'The user_hash or identity_token does not verify for this user on this platform. Admins can see the diagnosis in the failure log.',
  },
  token_missing: { status: 401, message: 'Send an access token: Authorization: Bearer <access_token>.' },
  token_invalid: { status: 401, message: 'The access token is not valid. Authenticate again.' },
  token_expired: { status: 401, message: 'The access token has expired. Authenticate again.' },
  unauthorized: { status: 401, message: 'A valid admin key is required: Authorization: Bearer <admin key>.' },
  invalid_credentials: { status: 401, message: 'The email or the password is wrong.' },
  totp_required: { status: 401, message: 'This teammate has two-factor sign-in: send the authentication code as totp.' },
  totp_invalid: { status: 401, message: 'The authentication code is wrong or expired.' },
  verification_required: { status: 403, message: 'This action needs a verified user.' },
  forbidden: { status: 403, message: 'Your role does not allow this call.' },
  csrf_failed: { status: 403, message: 'Send the session\'s X-CSRF-Token header from the same origin.' },
  reauthentication_required: { status: 403, message: 'Confirm your password (POST /admin/v1/session/confirm) to make this call.' },
  public_key_private: {
    status: 400,
    message: 'This JWK holds a private key: register its public half only, and keep the private key on your server.',
  },
  public_key_unsupported: {
    status: 400,
    message: 'This key type is not supported: register an EC P-256 key (ES256) or an Ed25519 key (EdDSA).',
  },
  public_key_invalid: { status: 400, message: 'The JWK is not a valid public key with a kid.' },
  jwks_url_invalid: {
    status: 400,
    message: 'The JWKS URL is not acceptable (https only, no private or loopback address), or it did not answer with a JWKS.',
  },
  app_not_found: { status: 404, message: 'No app has this id.' },
  not_found: { status: 404, message: 'Not found.' },
  method_not_allowed: { status: 405, message: 'This method is not allowed on this path.' },
  last_active_secret: {
    status: 409,
    message: 'This is the only active secret of the platform. Rotate (create a new secret) before revoking it.',
  },
  public_key_exists: {
    status: 409,
    message: 'This platform already has a public key with this kid, or already uses this JWKS URL, or has the most public keys it may have.',
  },
  webhook_url_refused: {
    status: 400,
    message: 'This webhook URL is refused: it must be https and reach a public address (VERITY_WEBHOOKS_ALLOW_HTTP=1 allows http and private addresses for development).',
  },
  webhook_limit_reached: { status: 409, message: 'This server has the most webhooks it allows (50). Delete one first.' },
  signed_attribute: {
    status: 409,
    message: 'This attribute was signed by an identity token and cannot be changed from the messenger.',
  },
  request_timeout: { status: 408, message: 'The request did not arrive in time. Send it again.' },
  last_owner: { status: 409, message: 'This is the last owner. Make another teammate owner first.' },
  invite_expired: { status: 410, message: 'This invite was used already or has expired. Ask an owner for a new one.' },
  payload_too_large: { status: 413, message: 'The request body is too large.' },
  unsupported_media_type: { status: 415, message: 'Send the body as JSON with Content-Type: application/json.' },
  headers_too_large: { status: 431, message: 'The request line and headers are too large: 16 KiB at most.' },
  rate_limited: { status: 429, message: 'Too many requests: a limit was reached. Retry later.' },
  internal_error: { status: 500, message: 'Something went wrong on our side. It has been logged.' },
  unavailable: { status: 503, message: 'Verity cannot serve this request right now. Retry later.' },
} as const satisfies Record<string, { status: number; message: string }>

export type ErrorCode = keyof typeof ERROR_CATALOGUE

/**
 * Codes that only the CLI answers with, and its exit code for each (API.md, CLI: 1 the answer is
 * "no", 2 bad usage, 3 any other failure). The CLI also answers with the codes above (exit 3, or
 * 2 for `invalid_request`). Stable like them; docs/api.md's CLI error table must equal this one.
 */
export const CLI_ERROR_CATALOGUE = {
  not_verified: { exit: 1, message: 'The hash does not verify.' },
  not_confirmed: { exit: 1, message: 'Nothing was changed: the confirmation was refused.' },
  invalid_usage: { exit: 2, message: 'The command line is not valid. See --help.' },
  configuration: { exit: 3, message: 'A setting is not valid. The message names the flag and the environment variable.' },
  no_database: {
    exit: 3,
    message:
      'There is no Verity database here. Point at your data with --data-dir or VERITY_DATA_DIR (PostgreSQL: --database-url or DATABASE_URL), or create one with `verity migrate`.',
  },
} as const satisfies Record<string, { exit: 1 | 2 | 3; message: string }>

export type CliErrorCode = keyof typeof CLI_ERROR_CATALOGUE

export function isErrorCode(value: string): value is ErrorCode {
  return Object.hasOwn(ERROR_CATALOGUE, value)
}
