import { z } from 'zod'
import { FAILURES_KEPT_PER_APP } from '../../services/auth-event-buffer.js'
import type { listFailures } from '../../services/failure-log.js'
import type { RolloutReports } from '../../services/rollout-reports.js'
import { defineRoute, type Route } from '../route.js'
import { dailyQuerySchema, dailySchema, failureSchema, failuresQuerySchema, rolloutQuerySchema, rolloutSchema } from '../schemas/rollout-schemas.js'

/** The failure log's page for one app (services/failure-log.ts, bound to its storage). */
export type FailurePages = (appId: string, query: Parameters<typeof listFailures>[2]) => ReturnType<typeof listFailures>

/** Is it safe to enforce, and why do proofs fail: the admin's view of issue 5. */
export function adminRolloutRoutes(reports: RolloutReports, failures: FailurePages): Route[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/admin/v1/apps/{app_id}/platforms/{platform}/rollout',
      audience: 'admin',
      action: 'rollout.read',
      tag: 'admin',
      summary: 'Rollout: which users send a valid proof, per app version and secret, and who enforcing would refuse',
      description:
        'Counts identified users seen on the platform in the last `days` UTC days, today included (default 7), each once: as verified, under the app version of their latest valid proof, if they sent one in the window ' +
        '(attempts without a proof, which anyone can send in their name, never undo it); otherwise under the app version and outcome of their latest attempt. ' +
        'Statistics are written in batches every second, so an attempt shows here within 2 s.',
      query: rolloutQuerySchema,
      responses: { 200: { description: 'The rollout', schema: rolloutSchema } },
      errors: ['invalid_request', 'unauthorized', 'app_not_found', 'not_found'],
      handle: async ({ params, query }) => ({
        status: 200,
        body: await reports.rollout(params.app_id, params.platform, query.days),
      }),
    }),
    defineRoute({
      method: 'GET',
      path: '/admin/v1/apps/{app_id}/platforms/{platform}/rollout/daily',
      audience: 'admin',
      action: 'rollout.read',
      tag: 'admin',
      summary: 'The daily series behind the rollout chart: users per UTC day and outcome',
      description:
        'One entry per UTC day, oldest first, today last, every day present (zeros where nobody came). A user counts once a day: as verified if they sent a valid proof that day, ' +
        'otherwise under the outcome of their latest attempt that day. Read from counts kept per day, so its cost does not grow with the number of users.',
      query: dailyQuerySchema,
      responses: { 200: { description: 'The daily series', schema: dailySchema } },
      errors: ['invalid_request', 'unauthorized', 'app_not_found', 'not_found'],
      handle: async ({ params, query }) => ({ status: 200, body: await reports.daily(params.app_id, params.platform, query.days) }),
    }),
    defineRoute({
      method: 'GET',
      path: '/admin/v1/apps/{app_id}/failures',
      audience: 'admin',
      action: 'failures.read',
      tag: 'admin',
      summary: 'Recent failed proofs with their diagnosis, newest first',
      description:
        'Every invalid proof (refused, or let in unverified where the platform is not enforced) and every missing proof on an enforced platform, with what Verity found. ' +
        `The most recent ${FAILURES_KEPT_PER_APP} per app are kept, none older than VERITY_RETENTION_DAYS (default 90). The messenger client never sees the diagnosis.`,
      query: failuresQuerySchema,
      responses: {
        200: { description: 'A page of failures', schema: z.object({ failures: z.array(failureSchema), next_cursor: z.string().nullable() }) },
      },
      errors: ['invalid_request', 'unauthorized', 'app_not_found'],
      handle: async ({ params, query }) => ({ status: 200, body: await failures(params.app_id, query) }),
    }),
  ]
}
