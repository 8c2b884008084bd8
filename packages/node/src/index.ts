/**
 * `@verity/node`: compute Verity user hashes and identity tokens on your server. No dependencies.
 *
 * @module
 */

export { signIdentityToken } from './sign-identity-token.js'
export type { IdentityTokenKey } from './lib/token-signer.js'
export type { Identity, SignIdentityTokenOptions, TokenIdentity } from './types.js'
export { userHash } from './user-hash.js'
