import { VerityError } from '../errors/verity-error.js'
import type { AppRepository, StoredApp } from '../storage/app-repository.js'
import type { StatisticsRepository } from '../storage/statistics-repository.js'
import type { Platform } from '../verification/platforms.js'
import { APP_ID_PATTERN } from './app-admin.js'
import { computeRollout, rolloutDays, type Rollout } from './rollout.js'
import { dailyDays, dailySeries, type DailyCounts } from './rollout-daily.js'

export interface RolloutReportsDeps {
  readonly statistics: StatisticsRepository
  readonly apps: AppRepository
  readonly now?: () => Date
}

/** The rollout and its daily series for the admin API: read from aggregates, never from users' rows. */
export class RolloutReports {
  readonly #deps: RolloutReportsDeps

  constructor(deps: RolloutReportsDeps) {
    this.#deps = deps
  }

  async rollout(appId: string, platform: Platform, days?: number): Promise<Rollout> {
    const window = rolloutDays(days)
    return computeRollout(this.#deps.statistics, await this.#require(appId), platform, window, this.#now())
  }

  async daily(appId: string, platform: Platform, days?: number): Promise<{ days: DailyCounts[] }> {
    const window = dailyDays(days)
    const app = await this.#require(appId)
    return { days: await dailySeries(this.#deps.statistics, app.id, platform, window, this.#now()) }
  }

  #now(): Date {
    return this.#deps.now?.() ?? new Date()
  }

  async #require(appId: string): Promise<StoredApp> {
    const app = APP_ID_PATTERN.test(appId) ? await this.#deps.apps.get(appId) : null
    if (!app) throw new VerityError('app_not_found')
    return app
  }
}
