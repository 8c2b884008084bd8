import { h, uid } from './dom.js'
import type { DailyCounts } from './platform-types.js'

const SVG = 'http://www.w3.org/2000/svg'
const PARTS = [['verified', 'Verified'], ['missing', 'Missing'], ['invalid', 'Invalid']] as const

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag)
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, String(value))
  return el
}

/** In words: what a screen reader says instead of the bars. */
export function dailySummary(days: readonly DailyCounts[]): string {
  if (days.length === 0) return 'No days.'
  const first = days[0]!.date
  const last = days[days.length - 1]!.date
  const seen = days.filter((d) => d.users > 0)
  if (seen.length === 0) return `No user was seen from ${first} to ${last}.`
  const today = days[days.length - 1]!
  const peak = seen.reduce((a, b) => (b.verified > a.verified ? b : a))
  return `From ${first} to ${last}: users seen on ${seen.length} of ${days.length} days; the most verified users in a day were ${peak.verified}, on ${peak.date}. On ${last}: ${today.verified} verified, ${today.missing} missing, ${today.invalid} invalid.`
}

/**
 * "Verified users by day": stacked bars (verified, missing, invalid) as inline SVG, so no chart
 * library ships; role="img" with that name, a summary in words, and every value in a table.
 * The drawing has no text: labels are HTML beside it, which scales without distortion.
 */
export function dailyChart(days: readonly DailyCounts[]): HTMLElement {
  const max = Math.max(1, ...days.map((d) => d.verified + d.missing + d.invalid))
  const width = 300
  const height = 100
  const slot = width / Math.max(1, days.length)
  const bars = svg('g', {})
  days.forEach((day, i) => {
    let y = height
    for (const [key] of PARTS) {
      const size = (day[key] / max) * height
      if (size <= 0) continue
      y -= size
      bars.append(svg('rect', { x: (i * slot + slot * 0.1).toFixed(2), y: y.toFixed(2), width: (slot * 0.8).toFixed(2), height: size.toFixed(2), class: `bar-${key}` }))
    }
  })
  const summaryId = uid('chart-summary')
  const picture = svg('svg', { viewBox: `0 0 ${width} ${height}`, preserveAspectRatio: 'none', role: 'img', 'aria-label': 'Verified users by day', 'aria-describedby': summaryId, class: 'chart-svg' })
  picture.append(svg('line', { x1: 0, y1: height, x2: width, y2: height, class: 'axis' }), bars)
  const first = days[0]?.date ?? ''
  const last = days[days.length - 1]?.date ?? ''
  return h('figure', { class: 'chart' },
    h('figcaption', {}, 'Verified users by day'),
    h('div', { class: 'chart-box' }, picture),
    h('div', { class: 'chart-axis hint', 'aria-hidden': 'true' }, h('span', {}, first), h('span', {}, `up to ${max} a day`), h('span', {}, last)),
    h('ul', { class: 'legend' }, PARTS.map(([key, label]) => h('li', {}, h('span', { class: `swatch bar-${key}` }), label))),
    // In the closed details too: a description may name hidden text, so screen readers still hear it.
    h('details', {},
      h('summary', {}, 'Values by day'),
      h('p', { id: summaryId, class: 'hint' }, dailySummary(days)),
      h('div', { class: 'chart-table' },
        h('table', {},
          h('caption', {}, `Users by UTC day and outcome, last ${days.length} days`),
          h('thead', {}, h('tr', {}, ['Date', 'Users', 'Verified', 'Missing', 'Invalid'].map((c) => h('th', { scope: 'col' }, c)))),
          h('tbody', {}, days.map((d) => h('tr', {}, h('th', { scope: 'row' }, d.date), [d.users, d.verified, d.missing, d.invalid].map((n) => h('td', {}, String(n))))))))))
}
