import type { Diagnosis } from './diagnosis.js'

export interface DiagnosisAdvice {
  /** What Verity found, in words an integrator recognises. */
  readonly found: string
  /** One sentence saying what to change. */
  readonly fix: string
}

/**
 * What each diagnosis means and what to do about it: the one source for `verity verify`, the
 * troubleshooting table in docs/troubleshooting.md (a test keeps them equal) and any UI, so the
 * advice never differs between the place a developer reads it and the place Verity prints it.
 */
export const DIAGNOSIS_ADVICE: Readonly<Record<Diagnosis, DiagnosisAdvice>> = {
  other_platform_secret: {
    found: "The hash was made with the secret of another platform of this app (for example the web secret in the iOS app's backend).",
    fix: 'Use the secret of the platform the messenger reports: web, ios and android each have their own (`verity secrets list --app ID --platform P`).',
  },
  other_app_secret: {
    found: 'The hash was made with a secret of another app on this server, often the test app in production or the reverse.',
    fix: "Configure your server with a secret of the app whose app_id the messenger sends, and check that both use the same environment's app.",
  },
  revoked_secret: {
    found: 'The hash was made with a secret of this platform that has been revoked.',
    fix: 'Deploy an active secret of this platform to every server that computes hashes (`verity secrets list`); a revoked secret never verifies again.',
  },
  app_id_as_key: {
    found: 'The app id was used as the HMAC key instead of the platform secret.',
    fix: 'Key the HMAC with the platform secret (it starts with `vsk_`), never with the app id, which is public.',
  },
  email_hashed_instead_of_user_id: {
    found: 'The email was hashed while a user_id was sent, and the user id is what Verity checks when one is sent.',
    fix: 'Hash the user_id whenever the messenger sends one, and hash the email only for users who have no user_id.',
  },
  key_and_message_swapped: {
    found: 'HMAC(key = identifier, message = secret): the two arguments are the wrong way round.',
    fix: 'Swap the arguments so that the secret is the HMAC key and the user id (or email) is the message.',
  },
  identifier_whitespace: {
    found: 'The identifier was hashed with surrounding whitespace removed, or with a trailing newline (`echo` without `-n`).',
    fix: 'Hash the identifier byte for byte as the messenger sends it: use `printf %s` or `echo -n`, and trim on both sides or on neither.',
  },
  identifier_case: {
    found: 'The identifier was hashed lower-cased or upper-cased, but it was sent with other capitals.',
    fix: 'Hash the identifier with exactly the capitals the messenger sends, because Verity never folds case.',
  },
  base64_instead_of_hex: {
    found: 'The right HMAC, encoded in base64 or base64url instead of hex.',
    fix: 'Send the MAC as hex (64 characters, `digest("hex")` or `hexdigest()`), not base64.',
  },
  wrong_algorithm: {
    found: "HMAC-SHA1, HMAC-MD5 or HMAC-SHA512 with the right key and identifier, or an identity token whose `alg` is not HS256 with a platform secret, nor the one algorithm of the public key its `kid` names (ES256 for P-256, EdDSA for Ed25519).",
    fix: 'Use HMAC-SHA256 for user hashes; sign identity tokens with HS256 and a platform secret, or with your private key and the algorithm of its type, never HS256 over a public key.',
  },
  malformed_hash: {
    found: 'The hash is not 64 hex characters and matches none of the known mistakes (often empty, quoted, truncated or a placeholder).',
    fix: 'Send hex(HMAC-SHA256(secret, identifier)) unchanged, and compare it with what `verity hash` prints for the same secret and identifier.',
  },
  expired_identity_token: {
    found: "The identity token's signature was right but its `exp` had passed (more than 60 s ago).",
    fix: "Sign a fresh identity token at each login with `exp` a few minutes ahead, and check the signing server's clock.",
  },
  identity_token_lifetime: {
    found: "The identity token's signature was right but its `exp` was more than 24 hours after its `iat` (or from now).",
    fix: 'Sign each identity token for one login, with `exp` at most a few minutes ahead, never more than 24 hours.',
  },
  identity_token_crit: {
    found: "The identity token's header has a `crit` member, naming extensions that Verity does not implement.",
    fix: 'Sign identity tokens with a plain header, `{"alg": "HS256", "typ": "JWT"}` and an optional `kid`, without `crit`.',
  },
  unknown_public_key: {
    found: "The identity token is signed with ES256 or EdDSA but its `kid` names none of this platform's public keys (or it has no `kid`).",
    fix: 'Put the `kid` of a registered key in the token header, and register the key (`verity keys public list --app ID --platform P` shows them) on the platform the messenger reports.',
  },
  public_key_signature: {
    found: "The identity token's signature does not verify with the public key its `kid` names: it was signed with another private key, or altered after signing.",
    fix: 'Sign with the private key whose public half is registered under that `kid`, and send the token unchanged.',
  },
  jwks_unreachable: {
    found: "The identity token names a `kid` Verity does not have, and this platform's JWKS URL could not be fetched (or its last keys are more than 24 hours old).",
    fix: 'Make the JWKS URL answer over https with the public keys (the server log says why the fetch failed), or register the key as a JWK.',
  },
  secret_sent_by_client: {
    found: 'A client sent an active platform secret in the request (as the user_hash, the identifier or another field): the secret ships inside the app, so anyone can prove any user.',
    fix: 'Rotate the secret now (`verity secrets rotate`), compute proofs only on your server, and revoke the old secret (`verity secrets revoke`) once the new one is deployed.',
  },
  no_proof: {
    found: 'An identified user came with neither user_hash nor identity_token on an enforced platform.',
    fix: 'Ship app versions that send the proof with every identified user, or turn enforcement off until `verity rollout` shows they do.',
  },
  unknown: {
    found: 'None of the known mistakes, or the diagnosis budget was spent because of a flood of failures.',
    fix: 'Compare the hash with `verity verify` or `verity hash` for the same secret and identifier, and check which app and platform the messenger sends.',
  },
}
