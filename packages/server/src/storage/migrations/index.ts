import type { Migration } from 'kysely'
import * as configuration from './0001-configuration.js'
import * as authStatistics from './0002-auth-statistics.js'
import * as conversations from './0003-conversations.js'
import * as failureLimits from './0004-failure-limits.js'
import * as provenClaims from './0005-proven-claims.js'
import * as dataLifecycle from './0006-data-lifecycle.js'
import * as teammates from './0007-teammates.js'
import * as publicKeys from './0008-public-keys.js'
import * as webhooks from './0009-webhooks.js'
import * as alerts from './0010-alerts.js'
import * as rolloutCounts from './0011-rollout-counts.js'
import * as dropWindowIndex from './0012-drop-window-index.js'

/** Every migration, in order. Names are stable: they are recorded in the database. */
export const MIGRATIONS: Readonly<Record<string, Migration>> = {
  '0001-configuration': configuration,
  '0002-auth-statistics': authStatistics,
  '0003-conversations': conversations,
  '0004-failure-limits': failureLimits,
  '0005-proven-claims': provenClaims,
  '0006-data-lifecycle': dataLifecycle,
  '0007-teammates': teammates,
  '0008-public-keys': publicKeys,
  '0009-webhooks': webhooks,
  '0010-alerts': alerts,
  '0011-rollout-counts': rolloutCounts,
  '0012-drop-window-index': dropWindowIndex,
}
