// The scale benchmark's figures per backend and size, and their markdown report.
import type { Machine } from './bench-run.js'
import { int, ms, ratio } from './stats.js'

export interface Latency {
  readonly samples: number
  readonly p50_ms: number | null
  readonly p99_ms: number | null
  readonly status: number
}

export interface ScaleRow {
  readonly backend: 'sqlite' | 'postgres'
  readonly users: number
  readonly seed_s: number
  readonly server_start_ms: number
  readonly rollout: Latency
  readonly daily: Latency
  readonly forecast: Latency
  readonly auth_rps_alone: number
  readonly auth_rps_polled: number
  readonly auth_ratio: number
  /** The server's longest event-loop stall while the rollout was polled, and over the whole size. */
  readonly stall_polled_ms: number | null
  readonly stall_max_ms: number | null
  /** SQLite: the longest storage call over the whole size (its own metric); null on PostgreSQL. */
  readonly storage_call_max_ms: number | null
  readonly db_bytes: number
  readonly db_detail: string
  readonly server_errors: readonly string[]
}

export interface ScaleReport {
  readonly date: string
  readonly command: string
  readonly machine: Machine
  readonly elapsed_s: number
  readonly auth_seconds: number
  readonly rows: readonly ScaleRow[]
}

const latency = (l: Latency) => (l.status !== 200 ? `n/a (${l.status})` : `${ms(l.p50_ms)} / ${ms(l.p99_ms)}`)
const millions = (n: number) => `${(n / 1e6).toLocaleString('en', { maximumFractionDigits: 2 })}M`
const mib = (bytes: number) => `${int(bytes / 1048576)} MiB`

export function scaleMarkdown(r: ScaleReport): string {
  const m = r.machine
  return [
    `# Verity at scale, ${r.date.slice(0, 16).replace('T', ' ')} UTC`,
    '',
    `- Machine: ${m.cpu}, ${m.cores} cores; Node ${m.node}; ${m.os}; load average at start ${m.load_average_at_start.join(' / ')}; ${m.pinning}`,
    `- Command: \`${r.command}\`; commit ${m.commit}; took ${r.elapsed_s} s`,
    '- Users: the latest attempts of N distinct users on one platform over the last 6 days (90% verified, 7% without proof, 3% invalid, ten app versions), written by the bulk loader (`bulkSeedStatistics`, packages/server/src/storage/seed-statistics.ts: the same rows and counts per day as the statistics flush, tested), in key order; with both databases, both are written at the same time, so each one\'s "seed s" includes sharing the cores with the other. PostgreSQL\'s seed ends with `VACUUM (ANALYZE)`, the work autovacuum would otherwise do during the measurements.',
    `- Latency: sequential requests of one admin (p50 / p99 ms). Rollout: \`GET …/platforms/web/rollout\`; daily: \`GET …/rollout/daily\`; forecast: \`PATCH …/platforms/web\` (it answers the forecast). Auth: ${r.auth_seconds} s of verified auths (${m.tool}, 10 connections) alone and ${r.auth_seconds} s while an admin polls the rollout every second, in 3 alternating runs each; req/s are the medians of the runs, the ratio the median of the pairs' ratios.`,
    "- Stall: the server's longest event-loop delay (its `monitorEventLoopDelay`, read from `/metrics`), whatever held the loop: storage, garbage collection, or the core taken by another thread. Longest SQLite call: `verity_storage_call_max_seconds`, how long storage alone held the loop (SQLite answers on it; PostgreSQL never does).",
    '',
    '| backend | users | seed s | rollout p50 / p99 ms | daily p50 / p99 ms | forecast p50 / p99 ms | auth req/s alone | polled | ratio | stall polled ms | stall max ms | longest SQLite call ms | database | per million users |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...r.rows.map(
      (x) =>
        `| ${x.backend} | ${millions(x.users)} | ${int(x.seed_s)} | ${latency(x.rollout)} | ${latency(x.daily)} | ${latency(x.forecast)} | ${int(x.auth_rps_alone)} | ${int(x.auth_rps_polled)} | ${ratio(x.auth_ratio)} | ${ms(x.stall_polled_ms)} | ${ms(x.stall_max_ms)} | ${x.storage_call_max_ms === null ? 'n/a' : ms(x.storage_call_max_ms)} | ${mib(x.db_bytes)} (${x.db_detail}) | ${mib(x.db_bytes / (x.users / 1e6))} |`,
    ),
    '',
    ...r.rows.filter((x) => x.server_errors.length).flatMap((x) => [`Errors logged by the ${x.backend} server at ${millions(x.users)}:`, '', ...x.server_errors.map((l) => `- \`${l.slice(0, 300)}\``), '']),
  ].join('\n')
}
