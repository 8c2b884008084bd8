import { z } from 'zod'
import { MAX_MESSAGE_CHARACTERS, messageBodyProblem } from '../../conversations/message-body.js'
import { listQuerySchema } from './common.js'

/** A message body: checked by the same rule everywhere (conversations/message-body.ts). */
const messageText = z
  .string({ error: (issue) => (issue.input === undefined ? undefined : 'must be a string') })
  .superRefine((value, ctx) => {
    const problem = messageBodyProblem(value)
    if (problem) ctx.addIssue({ code: 'custom', message: problem })
  })
  .meta({
    minLength: 1,
    maxLength: MAX_MESSAGE_CHARACTERS,
    description: `1 to ${MAX_MESSAGE_CHARACTERS} characters, not only whitespace, no control characters other than tabs and line breaks; kept exactly as sent.`,
  })

export const newMessageSchema = z.strictObject({ body: messageText }).meta({ id: 'NewMessage' })

export const messageSchema = z
  .object({
    id: z.string().meta({ description: 'Time-ordered: also the id of the live event that carried it.' }),
    author: z.enum(['user', 'teammate']),
    body: z.string(),
    created_at: z.string(),
  })
  .meta({ id: 'ConversationMessage' })

export const conversationSchema = z
  .object({
    id: z.string(),
    created_at: z.string(),
    verified: z.boolean().meta({ description: 'Whether a verified session started it.' }),
    last_message_at: z.string(),
    messages: z.array(messageSchema).meta({ description: 'Oldest first; the latest 1000 at most.' }),
  })
  .meta({ id: 'MessengerConversation' })

export const conversationSummarySchema = z
  .object({
    id: z.string(),
    created_at: z.string(),
    verified: z.boolean(),
    last_message_at: z.string(),
    last_message: messageSchema.nullable(),
  })
  .meta({ id: 'ConversationSummary' })

export const adminConversationSchema = z
  .object({
    id: z.string(),
    app_id: z.string(),
    created_at: z.string(),
    verified: z.boolean(),
    trust: z.enum(['verified', 'unverified', 'anonymous']),
    user: z
      .object({ user_id: z.string().nullable(), email: z.string().nullable(), email_verified: z.boolean(), name: z.string().nullable() })
      .meta({
        description:
          'Who the session said it was. `verified` vouches for the user id (or, without one, the email); `email_verified` says whether the email was proven too (hashed alone, or signed by an identity token) rather than claimed beside a proven user id. Only verified users have a name.',
      }),
    device_id: z.string().optional().meta({ description: 'The device of an unverified or anonymous conversation.' }),
    platform: z.enum(['web', 'ios', 'android']),
    last_message_at: z.string(),
  })
  .meta({ id: 'AdminConversation' })

export const adminConversationQuerySchema = listQuerySchema.extend({
  verified: z.enum(['true', 'false'], { error: 'must be "true" or "false"' }).optional(),
})

export const eventsQuerySchema = z.strictObject({
  last_event_id: z
    .string()
    .optional()
    .meta({ description: 'Same as the Last-Event-ID header, for clients that cannot set headers.' }),
})
