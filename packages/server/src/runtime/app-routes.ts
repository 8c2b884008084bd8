import type { Logger } from 'pino'
import type { ServerConfig } from '../config/server-config.js'
import type { ConfigCache } from '../config-cache/config-cache.js'
import type { DiagnosisBudget } from '../diagnosis/work-budget.js'
import { countAuthResults, metricsRoutes } from '../http/metrics/metrics-routes.js'
import type { VerityMetrics } from '../http/metrics/verity-metrics.js'
import { buildOpenApiDocument } from '../http/openapi.js'
import type { Route } from '../http/route.js'
import { adminAlertRoutes } from '../http/routes/admin-alert-routes.js'
import { adminAppRoutes } from '../http/routes/admin-app-routes.js'
import { adminConversationRoutes } from '../http/routes/admin-conversation-routes.js'
import { adminEventRoutes } from '../http/routes/admin-event-routes.js'
import { adminProofTestRoutes } from '../http/routes/admin-proof-test-routes.js'
import { adminPublicKeyRoutes } from '../http/routes/admin-public-key-routes.js'
import { adminRolloutRoutes } from '../http/routes/admin-rollout-routes.js'
import { adminRotateAndRevokeRoutes } from '../http/routes/admin-rotate-and-revoke-routes.js'
import { adminSecurityRoutes } from '../http/routes/admin-security-routes.js'
import { adminSessionRoutes } from '../http/routes/admin-session-routes.js'
import { adminTeammateRoutes } from '../http/routes/admin-teammate-routes.js'
import { adminUserRoutes } from '../http/routes/admin-user-routes.js'
import { adminWebhookRoutes } from '../http/routes/admin-webhook-routes.js'
import { healthRoutes } from '../http/routes/health-routes.js'
import { messengerAuthRoutes } from '../http/routes/messenger-auth-routes.js'
import { messengerConversationRoutes } from '../http/routes/messenger-conversation-routes.js'
import { messengerEventRoutes } from '../http/routes/messenger-event-routes.js'
import { messengerProfileRoutes } from '../http/routes/messenger-profile-routes.js'
import type { GuessGuard } from '../limits/guess-guard.js'
import { RateWindow } from '../limits/rate-window.js'
import type { Alerts } from '../services/alerts.js'
import type { AppAdmin } from '../services/app-admin.js'
import { AuditLog } from '../services/audit-log.js'
import { FailureLog } from '../services/failure-log.js'
import type { MessengerAuth } from '../services/messenger-auth.js'
import { ProofTester } from '../services/proof-tester.js'
import type { PublicKeys } from '../services/public-keys.js'
import { RolloutReports } from '../services/rollout-reports.js'
import type { UserLifecycle } from '../services/user-lifecycle.js'
import type { UserProfiles } from '../services/user-profiles.js'
import type { Webhooks } from '../services/webhooks.js'
import type { StatisticsRepository } from '../storage/statistics-repository.js'
import type { Live } from './open-live.js'
import type { TeammateAccounts } from './open-teammate-accounts.js'
import type { VerityData } from './open-verity-data.js'
import { VERSION } from './version.js'

export interface AppServices {
  readonly data: VerityData
  readonly config: ServerConfig
  readonly cache: ConfigCache
  readonly metrics: VerityMetrics
  readonly auth: MessengerAuth
  readonly admin: AppAdmin
  readonly publicKeys: PublicKeys
  readonly webhooks: Webhooks
  readonly alerts: Alerts
  readonly budget: DiagnosisBudget
  readonly profiles: UserProfiles
  readonly live: Live
  readonly statistics: StatisticsRepository
  readonly userLifecycle: UserLifecycle
  readonly accounts: TeammateAccounts
  readonly guesses: GuessGuard
  readonly logger: Logger
  /** Whether the instance takes traffic (`/readyz`). */
  readonly isReady: () => boolean
  /** Where the app listens, once it does (invite links fall back to it). */
  readonly listeningUrl: () => string
  /** Applies a configuration write made through this process before its request is answered. */
  readonly applyChange: () => Promise<void>
}

/** Every route the server serves, in one list: the router, the OpenAPI document and the authorization gate read it. */
export function appRoutes(s: AppServices): Route[] {
  const { data, config, cache, live } = s
  let openApi: unknown = null
  const routes: Route[] = [
    ...healthRoutes({ isReady: s.isReady, openApiDocument: () => (openApi ??= buildOpenApiDocument(routes, VERSION)) }),
    ...messengerAuthRoutes(s.auth, countAuthResults(s.metrics)),
    ...metricsRoutes(s.metrics, config.metricsToken),
    ...adminAppRoutes(s.admin, new AuditLog(data.audit)),
    ...adminRotateAndRevokeRoutes(s.admin),
    ...adminPublicKeyRoutes(s.publicKeys),
    ...adminWebhookRoutes(s.webhooks),
    ...adminAlertRoutes(s.alerts),
    ...adminProofTestRoutes(new ProofTester({ cache, budgetFor: (appId) => s.budget.forApp(appId) })),
    ...messengerProfileRoutes(s.profiles),
    ...messengerConversationRoutes(live.conversations, new RateWindow({ rate: config.limits.sessionWriteRate })),
    ...messengerEventRoutes(live.eventStreams),
    ...adminEventRoutes(live.adminStreams),
    ...adminConversationRoutes(live.conversations),
    ...adminRolloutRoutes(new RolloutReports({ statistics: s.statistics, apps: data.apps }), new FailureLog(data.failures)),
    ...adminUserRoutes(s.userLifecycle),
    ...adminSessionRoutes(s.accounts.sessions, s.guesses, { maxAgeSeconds: config.teammates.sessionMaxDays * 86_400, publicUrl: config.teammates.publicUrl }, s.logger),
    ...adminTeammateRoutes({ ...s.accounts, guesses: s.guesses, publicUrl: () => config.teammates.publicUrl ?? s.listeningUrl() }),
    ...adminSecurityRoutes({
      current: () => cache.security,
      setRequireTotp: async (value, actor) => {
        await data.securitySettings.setRequireTotp(value, { actor }, new Date())
        await s.applyChange()
      },
    }),
  ]
  return routes
}
