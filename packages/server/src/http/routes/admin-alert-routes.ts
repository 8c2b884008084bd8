import { z } from 'zod'
import type { Alerts } from '../../services/alerts.js'
import { defineRoute, type Route } from '../route.js'
import { listQuerySchema } from '../schemas/common.js'

const alertSchema = z
  .object({
    id: z.string(),
    type: z.enum(['verification.failure_spike', 'secret.exposed']),
    app_id: z.string(),
    platform: z.string(),
    created_at: z.string(),
    details: z.record(z.string(), z.unknown()).meta({ description: '`reason` (failure_spike, secret_sent_by_client, leaked_proofs) and what was found; never a secret value.' }),
    advice: z.string(),
  })
  .meta({ id: 'Alert' })

export function adminAlertRoutes(alerts: Alerts): Route[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/admin/v1/alerts',
      audience: 'admin',
      action: 'alerts.read',
      tag: 'admin',
      summary: 'Failure spikes and exposed secrets, newest first, with what to do (the newest 1,000 are kept)',
      query: listQuerySchema,
      responses: { 200: { description: 'Alerts', schema: z.object({ alerts: z.array(alertSchema), next_cursor: z.string().nullable() }) } },
      errors: ['invalid_request', 'unauthorized'],
      handle: async ({ query }) => ({ status: 200, body: await alerts.list(query) }),
    }),
  ]
}
