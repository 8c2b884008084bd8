import type { Histogram } from './histogram.js'
import type { MinuteStats, OutcomeCount } from './driver.js'
import type { StreamSummary } from './streams.js'

export interface SoakResult {
  readonly date: string
  readonly machine: { readonly cpu: string; readonly cores: number; readonly node: string; readonly loadAverageAtStart: number; readonly commit: string }
  readonly backend: string
  readonly minutes: number
  readonly maxRate: number | null
  readonly rate: number
  readonly settings: Readonly<Record<string, string>>
  readonly perMinute: ReadonlyArray<
    MinuteStats & {
      readonly rssMiB: { readonly median: number; readonly max: number } | null
      /** The longest event-loop delay of the server and of the load generator in that minute. */
      readonly loopDelayMs: { readonly server: number; readonly loadGenerator: number } | null
    }
  >
  readonly outcomes: readonly OutcomeCount[]
  readonly perOp: ReadonlyMap<string, Histogram>
  readonly streams: StreamSummary
  readonly rssGrowth: number | null
  readonly serverErrors: readonly string[]
  readonly failures: readonly string[]
}

/** RSS samples (KiB) of one minute as MiB: median and maximum. */
export function rssOfMinute(samples: readonly number[]): { median: number; max: number } | null {
  if (samples.length === 0) return null
  const sorted = [...samples].sort((a, b) => a - b)
  return { median: sorted[Math.floor(sorted.length / 2)]! / 1024, max: sorted[sorted.length - 1]! / 1024 }
}

/**
 * Growth of resident memory after the warm-up (the first minute, in which the heap and caches
 * reach their working size): the last minute's median against the first minute's maximum.
 * Comparing medians with the warm-up's peak keeps the garbage collector's saw-tooth out of it,
 * while memory that grows a little every minute still shows once it passes the peak.
 */
export function rssGrowth(minutes: ReadonlyArray<{ median: number; max: number } | null>): number | null {
  const first = minutes[0]
  const last = minutes[minutes.length - 1]
  if (minutes.length < 2 || !first || !last) return null
  return last.median / first.max - 1
}

/** Why the run fails, if it does: each 5xx, each answer the mix did not expect, lost live messages, memory growth. */
export function verdict(result: Omit<SoakResult, 'failures'>): string[] {
  const failures: string[] = []
  const serverErrors = result.outcomes.filter((o) => o.status >= 500).reduce((n, o) => n + o.count, 0)
  const unexpected = result.outcomes.filter((o) => !o.expected).reduce((n, o) => n + o.count, 0)
  if (serverErrors > 0) failures.push(`${serverErrors} answers were 5xx`)
  if (unexpected > 0) failures.push(`${unexpected} answers were not what the mix expects (see errors by code)`)
  if (result.streams.missed > 0) failures.push(`${result.streams.missed} messages never reached their live stream`)
  if (result.streams.closedByServer > 0) failures.push(`the server ended ${result.streams.closedByServer} live streams on its own`)
  if (result.rssGrowth !== null && result.rssGrowth > 0.1) failures.push(`RSS grew ${(result.rssGrowth * 100).toFixed(1)}% after the warm-up (limit 10%)`)
  if (result.serverErrors.length > 0) failures.push(`the server logged ${result.serverErrors.length} errors`)
  return failures
}

const int = (n: number): string => Math.round(n).toLocaleString('en-US')
const ms = (n: number): string => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2))

/** The run as markdown: the same text is printed and saved. */
export function markdown(result: SoakResult): string {
  const lines: string[] = []
  const m = result.machine
  lines.push(`# Soak: ${result.backend}, ${result.minutes} minute${result.minutes === 1 ? '' : 's'}`, '')
  lines.push(`- **Date:** ${result.date}; commit ${m.commit}`)
  lines.push(`- **Machine:** ${m.cpu}, ${m.cores} cores, Node ${m.node}, load average ${m.loadAverageAtStart.toFixed(2)} at the start`)
  lines.push(
    result.maxRate === null
      ? `- **Rate:** ${int(result.rate)} calls/s (fixed with --rate)`
      : `- **Rate:** ${int(result.rate)} calls/s, 80% of the ${int(result.maxRate)} calls/s measured at the start of this run`,
  )
  lines.push(`- **Server settings:** ${Object.entries(result.settings).map(([k, v]) => `${k}=${v}`).join(', ')}; no limit raised`)
  lines.push(
    `- **Live streams:** ${result.streams.streams} (${result.streams.byKind.reader} readers, ${result.streams.byKind.slow} slow readers, ${result.streams.byKind.reconnecting} reconnecting with Last-Event-ID)`,
    '',
  )
  lines.push('| minute | calls | calls/s | p50 ms | p99 ms | p99.9 ms | max ms | unexpected | 5xx | RSS MiB median | RSS MiB max | longest stall ms: server / load generator |')
  lines.push('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
  result.perMinute.forEach((minute, i) => {
    const rss = minute.rssMiB
    lines.push(
      `| ${i + 1}${i === 0 ? ' (warm-up)' : ''} | ${int(minute.requests)} | ${int(minute.requests / 60)} | ${ms(minute.latency.quantile(0.5))} | **${ms(minute.latency.quantile(0.99))}** | ${ms(minute.latency.quantile(0.999))} | ${ms(minute.latency.max)} | ${int(minute.unexpected)} | ${int(minute.serverErrors)} | ${rss ? rss.median.toFixed(0) : '–'} | ${rss ? rss.max.toFixed(0) : '–'} | ${minute.loopDelayMs ? `${ms(minute.loopDelayMs.server)} / ${ms(minute.loopDelayMs.loadGenerator)}` : '–'} |`,
    )
  })
  lines.push('', `RSS growth after the warm-up: ${result.rssGrowth === null ? 'not measured (one minute)' : `${(result.rssGrowth * 100).toFixed(1)}%`}`, '')
  lines.push('Answers by call, status and code (live stream connects included):', '')
  lines.push('| call | status | code | count | expected |')
  lines.push('|---|---:|---|---:|---|')
  const sorted = [...result.outcomes].sort((a, b) => a.op.localeCompare(b.op) || a.status - b.status)
  for (const o of sorted) lines.push(`| ${o.op} | ${o.status || 'no answer'} | ${o.code ?? ''} | ${int(o.count)} | ${o.expected ? 'yes' : '**no**'} |`)
  lines.push('', '| call | p50 ms | p99 ms | max ms |', '|---|---:|---:|---:|')
  for (const [op, h] of [...result.perOp].sort(([a], [b]) => a.localeCompare(b))) lines.push(`| ${op} | ${ms(h.quantile(0.5))} | ${ms(h.quantile(0.99))} | ${ms(h.max)} |`)
  const s = result.streams
  lines.push('', `Live streams: ${int(s.connects)} connects (${int(s.reconnects)} reconnects), ${int(s.messagesPosted)} messages posted into watched conversations, ${int(s.messagesDelivered)} delivered, ${int(s.missed)} missed, ${int(s.closedByServer)} streams ended by the server.`)
  if (result.serverErrors.length > 0) lines.push('', 'Server errors (first 5):', '', ...result.serverErrors.slice(0, 5).map((l) => `    ${l.slice(0, 400)}`))
  lines.push('', result.failures.length === 0 ? '**PASS**' : `**FAIL**: ${result.failures.join('; ')}`, '')
  return lines.join('\n')
}
