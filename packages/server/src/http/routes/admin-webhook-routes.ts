import { z } from 'zod'
import type { Webhooks } from '../../services/webhooks.js'
import { defineRoute, type Route } from '../route.js'
import { listQuerySchema } from '../schemas/common.js'
import { createWebhookSchema, deliverySchema, webhookSchema, webhookWithSecretSchema } from '../schemas/webhook-schemas.js'

export function adminWebhookRoutes(webhooks: Webhooks): Route[] {
  return [
    defineRoute({
      method: 'POST',
      path: '/admin/v1/webhooks',
      audience: 'admin',
      action: 'webhooks.manage',
      tag: 'admin',
      summary: 'Add a webhook endpoint; its signing secret is shown this once',
      body: createWebhookSchema,
      responses: { 201: { description: 'The webhook and its secret', schema: z.object({ webhook: webhookWithSecretSchema }) } },
      errors: ['invalid_request', 'unauthorized', 'unsupported_media_type', 'payload_too_large', 'webhook_url_refused', 'webhook_limit_reached'],
      handle: async ({ body, actor }) => ({ status: 201, body: { webhook: await webhooks.create(body, actor) } }),
    }),
    defineRoute({
      method: 'GET',
      path: '/admin/v1/webhooks',
      audience: 'admin',
      action: 'webhooks.read',
      tag: 'admin',
      summary: 'List webhook endpoints (no secret values)',
      responses: { 200: { description: 'Webhooks', schema: z.object({ webhooks: z.array(webhookSchema) }) } },
      errors: ['unauthorized'],
      handle: async () => ({ status: 200, body: { webhooks: await webhooks.list() } }),
    }),
    defineRoute({
      method: 'DELETE',
      path: '/admin/v1/webhooks/{webhook_id}',
      audience: 'admin',
      action: 'webhooks.manage',
      tag: 'admin',
      summary: 'Delete a webhook endpoint and its queued deliveries',
      responses: { 204: { description: 'Deleted' } },
      errors: ['unauthorized', 'not_found'],
      handle: async ({ params, actor }) => {
        await webhooks.delete(params.webhook_id, actor)
        return { status: 204 }
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/admin/v1/webhooks/{webhook_id}/test',
      audience: 'admin',
      action: 'webhooks.manage',
      tag: 'admin',
      summary: 'Queue a webhook.test event for this endpoint',
      responses: { 202: { description: 'Queued; see the deliveries', schema: z.object({ queued: z.literal(true) }) } },
      errors: ['unauthorized', 'not_found'],
      handle: async ({ params, actor }) => {
        await webhooks.sendTest(params.webhook_id, actor)
        return { status: 202, body: { queued: true as const } }
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/admin/v1/webhooks/{webhook_id}/rotate-secret',
      audience: 'admin',
      action: 'webhooks.manage',
      tag: 'admin',
      summary: 'A new signing secret; the previous one keeps signing beside it for 24 hours',
      responses: { 200: { description: 'The webhook and its new secret (shown this once)', schema: z.object({ webhook: webhookWithSecretSchema }) } },
      errors: ['unauthorized', 'not_found'],
      handle: async ({ params, actor }) => ({ status: 200, body: { webhook: await webhooks.rotateSecret(params.webhook_id, actor) } }),
    }),
    defineRoute({
      method: 'GET',
      path: '/admin/v1/webhooks/{webhook_id}/deliveries',
      audience: 'admin',
      action: 'webhooks.read',
      tag: 'admin',
      summary: 'The delivery log: status, attempts, next retry, last response status (newest first)',
      query: listQuerySchema,
      responses: { 200: { description: 'Deliveries', schema: z.object({ deliveries: z.array(deliverySchema), next_cursor: z.string().nullable() }) } },
      errors: ['invalid_request', 'unauthorized', 'not_found'],
      handle: async ({ params, query }) => ({ status: 200, body: await webhooks.deliveries(params.webhook_id, query) }),
    }),
  ]
}
