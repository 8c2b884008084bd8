import type { AuthRequest, AuthSession, MessengerAuth } from '../../services/messenger-auth.js'
import { defineRoute, type Route } from '../route.js'
import { authRequestSchema, authResponseSchema } from '../schemas/messenger-schemas.js'
import { MESSENGER_BODY_LIMIT } from '../handle-request.js'

/** Told what became of each request the service decided: the session it gave, or what it threw. */
export interface AuthObserver {
  session(request: AuthRequest, session: AuthSession): void
  refusal(request: AuthRequest, error: unknown): void
}

export function messengerAuthRoutes(auth: MessengerAuth, observer: AuthObserver): Route[] {
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
        const answer = (session: AuthSession) => {
          observer.session(body, session)
          return { status: 200, body: session.response }
        }
        const refused = (error: unknown): never => {
          observer.refusal(body, error)
          throw error
        }
        // Synchronous for a session (the hot path); a promise when signed attributes are stored
        // first, or one that rejects for a refusal.
        let session: AuthSession | Promise<AuthSession>
        try {
          session = auth.authenticate(body, client)
        } catch (error) {
          return refused(error)
        }
        return session instanceof Promise ? session.then(answer, refused) : answer(session)
      },
    }),
  ]
}
