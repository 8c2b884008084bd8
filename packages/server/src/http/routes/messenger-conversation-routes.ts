import { z } from 'zod'
import type { Conversations } from '../../services/conversations.js'
import { rateLimited } from '../../limits/rate-limited.js'
import type { RateWindow } from '../../limits/rate-window.js'
import type { AccessTokenClaims } from '../../tokens/access-token-claims.js'
import { defineRoute, type Route } from '../route.js'
import { listQuerySchema } from '../schemas/common.js'
import { conversationSchema, conversationSummarySchema, messageSchema, newMessageSchema } from '../schemas/conversation-schemas.js'

const TOKEN_ERRORS = ['token_missing', 'token_invalid', 'token_expired'] as const
const WRITE_ERRORS = ['invalid_request', 'payload_too_large', 'unsupported_media_type', 'rate_limited', 'unavailable'] as const
const PRIVACY =
  'A verified session reads the conversations that verified sessions of the same user started; any other session only those started on its own device under the same identity. ' +
  'Anything else answers 404 not_found, exactly as if it did not exist.'

const WRITE_LIMIT = 'Conversations and messages are limited per session (VERITY_SESSION_WRITE_RATE a minute); past it, 429 rate_limited with Retry-After.'

/**
 * Conversations and messages one session writes (VERITY_SESSION_WRITE_RATE a minute), so that no
 * client fills the database on the request path. Counted per app and subject (the verified user,
 * or the device and identity), so a new access token does not start afresh.
 */
function limitWrites(writes: RateWindow, session: AccessTokenClaims): void {
  const wait = writes.take(`${session.aud}\u0000${session.sub}`)
  if (wait > 0) throw rateLimited(wait, 'This session writes too often. Retry later.')
}

export function messengerConversationRoutes(conversations: Conversations, writes: RateWindow): Route[] {
  return [
    defineRoute({
      method: 'POST',
      path: '/v1/messenger/conversations',
      audience: 'messenger',
      tag: 'messenger',
      summary: 'Start a conversation with its first message',
      description: `The conversation records this session's trust and, unless verified, its device. ${PRIVACY} ${WRITE_LIMIT}`,
      body: newMessageSchema,
      responses: { 201: { description: 'The new conversation', schema: z.object({ conversation: conversationSchema }) } },
      errors: [...WRITE_ERRORS, ...TOKEN_ERRORS],
      handle: async ({ session, body }) => {
        limitWrites(writes, session!)
        return { status: 201, body: { conversation: await conversations.start(session!, body.body) } }
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/v1/messenger/conversations',
      audience: 'messenger',
      tag: 'messenger',
      summary: "This session's conversations, newest first",
      description: PRIVACY,
      query: listQuerySchema,
      responses: {
        200: {
          description: 'A page of conversations',
          schema: z.object({ conversations: z.array(conversationSummarySchema), next_cursor: z.string().nullable() }),
        },
      },
      errors: ['invalid_request', ...TOKEN_ERRORS, 'unavailable'],
      handle: async ({ session, query }) => ({ status: 200, body: await conversations.list(session!, query) }),
    }),
    defineRoute({
      method: 'GET',
      path: '/v1/messenger/conversations/{conversation_id}',
      audience: 'messenger',
      tag: 'messenger',
      summary: 'One conversation with its messages (oldest first)',
      description: PRIVACY,
      responses: { 200: { description: 'The conversation', schema: z.object({ conversation: conversationSchema }) } },
      errors: ['not_found', ...TOKEN_ERRORS, 'unavailable'],
      handle: async ({ session, params }) => ({ status: 200, body: { conversation: await conversations.get(session!, params.conversation_id) } }),
    }),
    defineRoute({
      method: 'POST',
      path: '/v1/messenger/conversations/{conversation_id}/messages',
      audience: 'messenger',
      tag: 'messenger',
      summary: 'Reply in a conversation as the user',
      description: `${PRIVACY} ${WRITE_LIMIT}`,
      body: newMessageSchema,
      responses: { 201: { description: 'The message', schema: z.object({ message: messageSchema }) } },
      errors: [...WRITE_ERRORS, 'not_found', ...TOKEN_ERRORS],
      handle: async ({ session, params, body }) => {
        limitWrites(writes, session!)
        return { status: 201, body: { message: await conversations.reply(session!, params.conversation_id, body.body) } }
      },
    }),
  ]
}
