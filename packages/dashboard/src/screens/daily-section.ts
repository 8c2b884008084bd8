import { api, ApiError, type PlatformName } from '../api.js'
import { dailyChart } from '../daily-chart.js'
import { alertBox, h } from '../dom.js'
import type { DailyCounts } from '../platform-types.js'

/**
 * The 30-day chart of a platform. Its box has the chart's height from the start, so the page does
 * not jump when the series arrives.
 */
export function dailySection(appId: string, platform: PlatformName): HTMLElement {
  const box = h('div', { class: 'chart-slot' }, h('p', { class: 'hint' }, 'Loading the 30-day chart…'))
  api<{ days: DailyCounts[] }>('GET', `/admin/v1/apps/${encodeURIComponent(appId)}/platforms/${platform}/rollout/daily?days=30`)
    .then((res) => box.replaceChildren(dailyChart(res.days)))
    .catch((error: unknown) => box.replaceChildren(alertBox(`The 30-day chart could not be loaded: ${error instanceof ApiError ? error.describe() : String(error)}`)))
  return box
}
