import { z } from 'zod'
import type { AppAdmin } from '../../services/app-admin.js'
import { auditCsv, type AuditLog } from '../../services/audit-log.js'
import { defineRoute, STREAMED, type Route } from '../route.js'
import { listQuerySchema } from '../schemas/common.js'
import { appSchema, auditEventSchema, createAppSchema, deleteAppQuerySchema, enforceSchema, platformDocSchema, secretSchema } from '../schemas/admin-schemas.js'
import { forecastSchema } from '../schemas/rollout-schemas.js'

export function adminAppRoutes(admin: AppAdmin, audit: AuditLog): Route[] {
  const secrets = z.object({ web: secretSchema, ios: secretSchema, android: secretSchema })
  return [
    defineRoute({
      method: 'POST',
      path: '/admin/v1/apps',
      audience: 'admin',
      action: 'apps.create',
      tag: 'admin',
      summary: 'Create an app, with one secret per platform',
      body: createAppSchema,
      responses: { 201: { description: 'The app and its secrets (values shown)', schema: z.object({ app: appSchema, secrets }) } },
      errors: ['invalid_request', 'unauthorized', 'unsupported_media_type', 'payload_too_large'],
      handle: async ({ body, actor }) => ({ status: 201, body: await admin.createApp(body, actor) }),
    }),
    defineRoute({
      method: 'GET',
      path: '/admin/v1/apps',
      audience: 'admin',
      action: 'apps.read',
      tag: 'admin',
      summary: 'List apps, oldest first',
      query: listQuerySchema,
      responses: { 200: { description: 'A page of apps', schema: z.object({ apps: z.array(appSchema), next_cursor: z.string().nullable() }) } },
      errors: ['invalid_request', 'unauthorized'],
      handle: async ({ query }) => ({ status: 200, body: await admin.listApps(query) }),
    }),
    defineRoute({
      method: 'GET',
      path: '/admin/v1/apps/{app_id}',
      audience: 'admin',
      action: 'apps.read',
      tag: 'admin',
      summary: 'One app',
      responses: { 200: { description: 'The app', schema: z.object({ app: appSchema }) } },
      errors: ['unauthorized', 'app_not_found'],
      handle: async ({ params }) => ({ status: 200, body: { app: await admin.getApp(params.app_id) } }),
    }),
    defineRoute({
      method: 'DELETE',
      path: '/admin/v1/apps/{app_id}',
      audience: 'admin',
      action: 'apps.delete',
      tag: 'admin',
      summary: 'Delete an app and everything it holds (confirm with ?confirm=<app_id>)',
      description:
        'Deletes the app, its secrets, users, conversations and messages, statistics, failures and sign-outs; its access tokens stop at once here and within 2 s on other instances. ' +
        'Without `confirm` equal to the app id nothing is deleted (400 `confirmation_required`). The audit log keeps the app\'s history and records the deletion.',
      query: deleteAppQuerySchema,
      responses: { 204: { description: 'Deleted' } },
      errors: ['invalid_request', 'confirmation_required', 'unauthorized', 'app_not_found'],
      handle: async ({ params, query, actor }) => {
        await admin.deleteApp(params.app_id, query.confirm, actor)
        return { status: 204 }
      },
    }),
    defineRoute({
      method: 'PATCH',
      path: '/admin/v1/apps/{app_id}/platforms/{platform}',
      audience: 'admin',
      action: 'platforms.enforce',
      tag: 'admin',
      summary: 'Turn enforcement on or off for one platform',
      description:
        'Answers the platform beside the forecast of the last 7 days (as in the rollout): how many identified users would be refused while it is enforced, and on which app versions, ' +
        'so that a UI can show who an enforcement locks out (or would have, when turning it off).',
      body: enforceSchema,
      responses: { 200: { description: 'The platform and the forecast', schema: z.object({ platform: platformDocSchema, forecast: forecastSchema }) } },
      errors: ['invalid_request', 'unauthorized', 'app_not_found', 'not_found'],
      handle: async ({ params, body, actor }) => {
        const platform = params.platform
        const view = await admin.setEnforced(params.app_id, platform, body.enforced, actor)
        const { forecast } = await admin.rollout(params.app_id, platform)
        return { status: 200, body: { platform: view, forecast } }
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/admin/v1/apps/{app_id}/platforms/{platform}/secrets',
      audience: 'admin',
      action: 'secrets.read',
      tag: 'admin',
      summary: 'The active secrets of a platform, with their values (audited)',
      responses: { 200: { description: 'Active secrets', schema: z.object({ secrets: z.array(secretSchema) }) } },
      errors: ['unauthorized', 'app_not_found', 'not_found'],
      handle: async ({ params, actor }) => ({
        status: 200,
        body: { secrets: await admin.listSecrets(params.app_id, params.platform, actor) },
      }),
    }),
    defineRoute({
      method: 'POST',
      path: '/admin/v1/apps/{app_id}/platforms/{platform}/secrets',
      audience: 'admin',
      action: 'secrets.rotate',
      tag: 'admin',
      summary: 'Rotate: add a secret; earlier secrets stay valid until revoked',
      responses: { 201: { description: 'The new secret', schema: z.object({ secret: secretSchema }) } },
      errors: ['unauthorized', 'app_not_found', 'not_found', 'invalid_request'],
      handle: async ({ params, actor }) => ({
        status: 201,
        body: { secret: await admin.rotateSecret(params.app_id, params.platform, actor) },
      }),
    }),
    defineRoute({
      method: 'DELETE',
      path: '/admin/v1/apps/{app_id}/platforms/{platform}/secrets/{secret_id}',
      audience: 'admin',
      action: 'secrets.revoke',
      tag: 'admin',
      summary: 'Revoke a secret, and the access tokens it verified',
      responses: { 204: { description: 'Revoked' } },
      errors: ['unauthorized', 'app_not_found', 'not_found', 'last_active_secret', 'invalid_request'],
      handle: async ({ params, actor }) => {
        await admin.revokeSecret(params.app_id, params.platform, params.secret_id, actor)
        return { status: 204 }
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/admin/v1/audit-log',
      audience: 'admin',
      action: 'audit.read',
      tag: 'admin',
      summary: 'Who changed which setting or secret, when, from which address (newest first)',
      description: 'Filters: actor (exact, such as teammate:ana@example.com), app_id, action, since (RFC 3339). format=csv answers text/csv: the newest 10,000 matching events, without pages.',
      query: listQuerySchema.extend({
        app_id: z.string().optional(),
        actor: z.string().max(300).optional(),
        action: z.string().max(100).optional(),
        since: z.iso.datetime({ offset: true, error: 'must be an RFC 3339 time such as 2026-01-31T00:00:00Z' }).optional(),
        format: z.enum(['json', 'csv'], { error: 'must be json or csv' }).optional(),
      }),
      responses: {
        200: { description: 'Audit events (or CSV with format=csv)', schema: z.object({ events: z.array(auditEventSchema), next_cursor: z.string().nullable() }) },
      },
      errors: ['invalid_request', 'unauthorized', 'forbidden'],
      handle: async ({ query, requestId }, res) => {
        const filter = { appId: query.app_id, actor: query.actor, action: query.action, since: query.since }
        if (query.format !== 'csv') return { status: 200, body: await audit.list({ ...filter, limit: query.limit, cursor: query.cursor }) }
        const csv = auditCsv((await audit.list({ ...filter, exportAll: true })).events)
        res.writeHead(200, {
          'Content-Type': 'text/csv; charset=utf-8',
          'Content-Disposition': 'attachment; filename="verity-audit-log.csv"',
          'Cache-Control': 'no-store',
          'X-Content-Type-Options': 'nosniff',
          'X-Request-Id': requestId,
          'Content-Length': String(Buffer.byteLength(csv)),
        })
        res.end(csv)
        return STREAMED
      },
    }),
  ]
}
