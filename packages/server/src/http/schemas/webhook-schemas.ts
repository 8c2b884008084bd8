import { z } from 'zod'
import { WEBHOOK_EVENT_TYPES } from '../../webhooks/webhook-events.js'

export const createWebhookSchema = z.strictObject({
  url: z.string({ error: 'must be a URL string' }).min(1, 'must not be empty').max(2048, 'must be at most 2048 characters').regex(/^[^\u0000-\u001f\u007f-\u009f\s]*$/, 'must not contain spaces or control characters'),
  events: z
    .array(z.enum(WEBHOOK_EVENT_TYPES, { error: `must be one of ${WEBHOOK_EVENT_TYPES.map((t) => `"${t}"`).join(', ')}` }))
    .min(1, 'must name at least one event')
    .max(WEBHOOK_EVENT_TYPES.length * 2, 'lists too many events'),
})

const webhookFields = {
  id: z.string(),
  url: z.string(),
  events: z.array(z.string()),
  created_at: z.string(),
  previous_secret_until: z.string().nullable().meta({ description: 'Until then, the secret before the last rotation signs beside the current one.' }),
}
export const webhookSchema = z.object(webhookFields).meta({ id: 'Webhook' })
export const webhookWithSecretSchema = z
  .object({ ...webhookFields, secret: z.string().meta({ description: '`whsec_` and base64: shown this once.' }) })
  .meta({ id: 'WebhookWithSecret' })

export const deliverySchema = z
  .object({
    id: z.string().meta({ description: 'The `webhook-id` header: the same on every attempt.' }),
    event_type: z.string(),
    status: z.enum(['pending', 'delivered', 'failed']),
    attempts: z.number(),
    next_attempt_at: z.string().nullable(),
    last_response_status: z.number().nullable(),
    last_error: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
    attempt_log: z.array(z.object({ at: z.string(), status: z.number().nullable(), error: z.string().nullable() })),
  })
  .meta({ id: 'WebhookDelivery' })
