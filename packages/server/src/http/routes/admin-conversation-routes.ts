import { z } from 'zod'
import type { Conversations } from '../../services/conversations.js'
import { defineRoute, type Route } from '../route.js'
import { adminConversationQuerySchema, adminConversationSchema, messageSchema, newMessageSchema } from '../schemas/conversation-schemas.js'

export function adminConversationRoutes(conversations: Conversations): Route[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/admin/v1/apps/{app_id}/conversations',
      audience: 'admin',
      action: 'conversations.read',
      tag: 'admin',
      summary: "The app's conversations, newest first, each with its user and whether a verified session started it",
      description: 'verified=true lists only conversations started by verified sessions; verified=false only unverified and anonymous ones.',
      query: adminConversationQuerySchema,
      responses: {
        200: {
          description: 'A page of conversations',
          schema: z.object({ conversations: z.array(adminConversationSchema), next_cursor: z.string().nullable() }),
        },
      },
      errors: ['invalid_request', 'unauthorized', 'app_not_found', 'unavailable'],
      handle: async ({ params, query }) => ({
        status: 200,
        body: await conversations.listForTeammates(params.app_id, {
          limit: query.limit,
          cursor: query.cursor,
          verified: query.verified === undefined ? undefined : query.verified === 'true',
        }),
      }),
    }),
    defineRoute({
      method: 'POST',
      path: '/admin/v1/apps/{app_id}/conversations/{conversation_id}/messages',
      audience: 'admin',
      action: 'conversations.reply',
      tag: 'admin',
      summary: 'Reply in a conversation as a teammate',
      description: "The reply reaches the user's live event streams.",
      body: newMessageSchema,
      responses: { 201: { description: 'The message, author "teammate"', schema: z.object({ message: messageSchema }) } },
      errors: ['invalid_request', 'unauthorized', 'app_not_found', 'not_found', 'payload_too_large', 'unsupported_media_type', 'unavailable'],
      handle: async ({ params, body }) => ({
        status: 201,
        body: { message: await conversations.teammateReply(params.app_id, params.conversation_id, body.body) },
      }),
    }),
  ]
}
