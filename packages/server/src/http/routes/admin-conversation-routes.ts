import { z } from 'zod'
import type { Conversations } from '../../services/conversations.js'
import { defineRoute, type Route } from '../route.js'
import { adminConversationQuerySchema, adminConversationSchema, messageSchema, newMessageSchema } from '../schemas/conversation-schemas.js'

type ListQuery = z.infer<typeof adminConversationQuerySchema>

export function adminConversationRoutes(conversations: Conversations): Route[] {
  const list = (appId: string | null, query: ListQuery) =>
    conversations.listForTeammates(appId, { limit: query.limit, cursor: query.cursor, verified: query.verified === undefined ? undefined : query.verified === 'true' })
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
      handle: async ({ params, query }) => ({ status: 200, body: await list(params.app_id, query) }),
    }),
    defineRoute({
      method: 'GET',
      path: '/admin/v1/conversations',
      audience: 'admin',
      action: 'conversations.read',
      tag: 'admin',
      summary: "Every app's conversations, newest first (the dashboard's inbox), each with its app, its user and whether a verified session started it",
      description: 'verified=true lists only conversations started by verified sessions; verified=false only unverified and anonymous ones.',
      query: adminConversationQuerySchema,
      responses: {
        200: {
          description: 'A page of conversations',
          schema: z.object({ conversations: z.array(adminConversationSchema), next_cursor: z.string().nullable() }),
        },
      },
      errors: ['invalid_request', 'unauthorized', 'unavailable'],
      handle: async ({ query }) => ({ status: 200, body: await list(null, query) }),
    }),
    defineRoute({
      method: 'GET',
      path: '/admin/v1/apps/{app_id}/conversations/{conversation_id}',
      audience: 'admin',
      action: 'conversations.read',
      tag: 'admin',
      summary: 'One conversation with its latest 1,000 messages, oldest first',
      responses: {
        200: { description: 'The conversation and its messages', schema: z.object({ conversation: adminConversationSchema, messages: z.array(messageSchema) }) },
      },
      errors: ['invalid_request', 'unauthorized', 'app_not_found', 'not_found', 'unavailable'],
      handle: async ({ params }) => ({ status: 200, body: await conversations.getForTeammates(params.app_id, params.conversation_id) }),
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
