import type { MessengerAuth } from '../../services/messenger-auth.js'
import { defineRoute, type Route } from '../route.js'
import { authRequestSchema, authResponseSchema } from '../schemas/messenger-schemas.js'
import { MESSENGER_BODY_LIMIT } from '../handle-request.js'

export function messengerAuthRoutes(auth: MessengerAuth): Route[] {
  return [
    defineRoute({
      method: 'POST',
      path: '/v1/messenger/auth',
      audience: 'public',
      tag: 'messenger',
      summary: 'Exchange an identity and its proof for an access token',
      description:
        'Verifies user_hash = hex(HMAC-SHA256(platform secret, user_id or email)) or a signed identity_token. ' +
        'On an enforced platform an identified user without a valid proof gets 401; otherwise the user is let in unverified and the attempt is recorded for the rollout. ' +
        'Anonymous visitors (no user_id, no email) are exempt. ' +
        'After VERITY_FAILURE_LIMIT refusals of one identifier within a minute, further attempts without a valid proof get 429 (a valid proof always passes); ' +
        'sessions without a proof are limited per client address (VERITY_CLIENT_SESSION_RATE a minute).',
      body: authRequestSchema,
      bodyLimit: MESSENGER_BODY_LIMIT,
      responses: { 200: { description: 'An access token for this app', schema: authResponseSchema } },
      errors: ['invalid_request', 'user_hash_missing', 'user_hash_invalid', 'app_not_found', 'payload_too_large', 'unsupported_media_type', 'rate_limited', 'unavailable'],
      handle: ({ body, client }) => {
        // Synchronous for a session (the hot path); a promise when signed attributes are stored
        // first, or one that rejects for a refusal.
        const response = auth.authenticate(body, client)
        return response instanceof Promise ? response.then((r) => ({ status: 200, body: r })) : { status: 200, body: response }
      },
    }),
  ]
}
