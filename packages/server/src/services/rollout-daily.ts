import { VerityError } from '../errors/verity-error.js'
import type { StatisticsRepository } from '../storage/statistics-repository.js'
import type { Platform } from '../verification/platforms.js'
import type { OutcomeCounts } from './rollout.js'
import { windowStartDay } from './rollout.js'

export const DEFAULT_DAILY_DAYS = 30
export const MAX_DAILY_DAYS = 90

export interface DailyCounts extends OutcomeCounts {
  date: string
}

export function dailyDays(days: number | undefined): number {
  if (days === undefined) return DEFAULT_DAILY_DAYS
  if (!Number.isInteger(days) || days < 1 || days > MAX_DAILY_DAYS) {
    throw new VerityError('invalid_request', `days must be a whole number from 1 to ${MAX_DAILY_DAYS}.`)
  }
  return days
}

/** Every UTC day of the window, oldest first, today last. */
export function windowDays(days: number, now: Date): string[] {
  return Array.from({ length: days }, (_, i) => new Date(now.getTime() - (days - 1 - i) * 86_400_000).toISOString().slice(0, 10))
}

/**
 * The daily series behind the rollout chart: each user counts once a day, as verified if they sent
 * a valid proof that day, else under the outcome of their latest attempt that day. Days without
 * anyone are present with zeros.
 */
export async function dailySeries(statistics: StatisticsRepository, appId: string, platform: Platform, days: number, now: Date = new Date()): Promise<DailyCounts[]> {
  const series = windowDays(days, now).map((date) => ({ date, users: 0, verified: 0, missing: 0, invalid: 0 }))
  const byDate = new Map(series.map((d) => [d.date, d]))
  for (const row of await statistics.daily(appId, platform, windowStartDay(days, now))) {
    const day = byDate.get(row.day)
    if (day === undefined || (row.outcome !== 'verified' && row.outcome !== 'missing' && row.outcome !== 'invalid')) continue
    day[row.outcome] += row.users
    day.users += row.users
  }
  return series
}
