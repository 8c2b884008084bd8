// The hot-path benchmark's summary per scenario, its targets and its markdown report.
import type { ClosedLoopResult } from './load-tools.js'
import type { Machine } from './bench-run.js'
import type { BenchOptions } from './options.js'
import { int, median, ms, ratio, round2 } from './stats.js'

export interface ScenarioInfo {
  readonly id: string
  readonly what: string
  readonly baseline?: boolean
  readonly vs?: string
  readonly also?: string
}

export interface RunEntry extends ClosedLoopResult {
  readonly round: number
  readonly scenario: string
  readonly ratio: number | null
  ratio_to_also?: number
  /** The server's longest event-loop stall during the run (ms); null for the raw baseline. */
  readonly stall_ms: number | null
  readonly problems: readonly string[]
}

export interface ScenarioSummary {
  readonly id: string
  readonly what: string
  readonly baseline: boolean
  readonly vs: string | null
  readonly also: string | null
  readonly rps_median: number | null
  readonly rps_best: number
  readonly p50_ms_median: number | null
  readonly p99_ms_median: number | null
  readonly ratio_median: number | null
  readonly ratio_to_also_median: number | null
  readonly stall_ms_max: number | null
  readonly rounds_rps: number[]
  readonly rounds_ratio: Array<number | null> | null
  readonly problems: string[]
}

export interface FixedRateRow {
  readonly scenario: string
  readonly max_rps: number | null
  readonly rate: number
  readonly achieved_rps: number
  readonly p50_ms: number
  readonly p99_ms: number
  readonly p999_ms: number
  readonly max_ms: number
  readonly statuses: Readonly<Record<string, number>>
  readonly errors: number
}

export interface WorkersRun extends ClosedLoopResult {
  readonly round: number
  readonly workers: number
}

export interface WorkersSummary {
  readonly one_rps: number | null
  readonly two_rps: number | null
  readonly gain: number | null
  readonly p99_one_ms: number | null
  readonly p99_two_ms: number | null
  readonly runs: readonly WorkersRun[]
}

export interface HotPathReport {
  readonly date: string
  readonly command: string
  readonly machine: Machine
  readonly options: BenchOptions
  readonly elapsed_s: number
  readonly ten_k_apps_server_start_ms: number | null
  readonly scenarios: readonly ScenarioSummary[]
  readonly fixed_rate: readonly FixedRateRow[]
  readonly workers: WorkersSummary | null
  readonly micro: { readonly results: ReadonlyArray<{ readonly name: string; readonly ops: number }> } | null
  readonly server_errors: Readonly<Record<string, readonly string[]>>
  readonly runs: readonly RunEntry[]
}

export function summarize(scenarios: readonly ScenarioInfo[], runs: readonly RunEntry[]): ScenarioSummary[] {
  return scenarios.map((s) => {
    const mine = runs.filter((r) => r.scenario === s.id)
    const stalls = mine.map((r) => r.stall_ms).filter((x): x is number => x !== null)
    return {
      id: s.id,
      what: s.what,
      baseline: Boolean(s.baseline),
      vs: s.vs ?? null,
      also: s.also ?? null,
      rps_median: median(mine.map((r) => r.rps)),
      rps_best: Math.max(...mine.map((r) => r.rps)),
      p50_ms_median: median(mine.map((r) => r.p50_ms)),
      p99_ms_median: median(mine.map((r) => r.p99_ms)),
      ratio_median: s.vs ? median(mine.map((r) => r.ratio)) : null,
      ratio_to_also_median: s.also ? median(mine.map((r) => r.ratio_to_also)) : null,
      stall_ms_max: stalls.length ? Math.max(...stalls) : null,
      rounds_rps: mine.map((r) => Math.round(r.rps)),
      rounds_ratio: s.vs ? mine.map((r) => round2(r.ratio)) : null,
      problems: mine.flatMap((r) => r.problems.map((p) => `round ${r.round}: ${p}`)),
    }
  })
}

export function workersSummary(runs: readonly WorkersRun[]): WorkersSummary {
  const by = (n: number) => runs.filter((r) => r.workers === n)
  const one = median(by(1).map((r) => r.rps))
  const two = median(by(2).map((r) => r.rps))
  return { one_rps: one, two_rps: two, gain: one && two ? two / one : null, p99_one_ms: median(by(1).map((r) => r.p99_ms)), p99_two_ms: median(by(2).map((r) => r.p99_ms)), runs }
}

interface TargetRow {
  readonly target: string
  readonly figure: string
  readonly met: boolean
}

export function targets(report: HotPathReport): TargetRow[] {
  const by = (id: string) => report.scenarios.find((s) => s.id === id)
  const verified = by('auth-verified')
  const me = by('me')
  const many = by('auth-10k-apps')
  const fixed = report.fixed_rate.find((f) => f.scenario === 'auth-verified')
  const stalls = report.scenarios.map((s) => s.stall_ms_max).filter((x): x is number => x !== null)
  const rows: TargetRow[] = []
  if (verified) rows.push({ target: 'auth verified ≥ 0.60 of raw node:http (same round)', figure: ratio(verified.ratio_median), met: (verified.ratio_median ?? 0) >= 0.6 })
  if (me) rows.push({ target: 'GET /v1/messenger/me ≥ 0.70 of raw node:http GET (same round)', figure: ratio(me.ratio_median), met: (me.ratio_median ?? 0) >= 0.7 })
  if (many) rows.push({ target: '10,000 apps ≥ 0.95 × 1 app (same round)', figure: ratio(many.ratio_to_also_median), met: (many.ratio_to_also_median ?? 0) >= 0.95 })
  if (fixed) rows.push({ target: 'p99 latency at 80% of the maximum rate < 5 ms (auth verified)', figure: `${ms(fixed.p99_ms)} ms`, met: fixed.p99_ms < 5 })
  if (stalls.length) rows.push({ target: "the server's longest event-loop stall < 10 ms (any scenario)", figure: `${ms(Math.max(...stalls))} ms`, met: Math.max(...stalls) < 10 })
  return rows
}

export function markdownReport(r: HotPathReport): string {
  const m = r.machine
  const o = r.options
  const lines = [
    `# Verity benchmark, ${r.date.slice(0, 16).replace('T', ' ')} UTC`,
    '',
    `- Machine: ${m.cpu}, ${m.cores} cores; Node ${m.node}; ${m.os}; load average at start ${m.load_average_at_start.join(' / ')}`,
    `- Load generator: ${m.tool}${m.tool === 'wrk' ? ` ${m.wrk}` : ''}, ${o.connections} keep-alive connections on loopback; ${m.pinning}`,
    `- Command: \`${r.command}\` (${o.rounds} rounds; each run: ${o.warmupS} s warm-up, discarded, then ${o.durationS} s measured); commit ${m.commit}; took ${r.elapsed_s} s`,
    '- Servers: `verity serve` from the built dist, NODE_ENV=production, LOG_LEVEL=warn, SQLite in a temp folder; raw baseline `bench/raw-baseline.mjs`.',
    '',
    '## Throughput, closed loop',
    '',
    "Ratios are taken within each round against the raw baseline of the same method, then the median is shown. The stall is the server's longest event-loop delay over the scenario's runs (warm-ups included), from its own `monitorEventLoopDelay` through `/metrics`.",
    '',
    '| scenario | median req/s | p50 ms | p99 ms | ratio to raw | longest stall ms | req/s per round | what |',
    '|---|---:|---:|---:|---:|---:|---|---|',
    ...r.scenarios.map(
      (s) =>
        `| ${s.id} | ${int(s.rps_median)} | ${ms(s.p50_ms_median)} | ${ms(s.p99_ms_median)} | ${s.baseline ? '1.00' : ratio(s.ratio_median)}${s.also ? ` (${ratio(s.ratio_to_also_median)} × ${s.also})` : ''} | ${s.baseline ? '' : ms(s.stall_ms_max)} | ${s.rounds_rps.map(int).join(' / ')} | ${s.what} |`,
    ),
    '',
  ]
  const problems = r.scenarios.flatMap((s) => s.problems.map((p) => `${s.id}: ${p}`))
  if (problems.length) lines.push('**Problems seen:**', '', ...problems.map((p) => `- ${p}`), '')
  if (r.fixed_rate.length) {
    lines.push(
      '## Latency at a fixed 80% of the maximum rate',
      '',
      'Open loop (bench/lib/loader.mjs, like wrk2): each connection sends on its own schedule, and latency counts from when a request was due, so stalls are not hidden.',
      '',
      '| scenario | max req/s (median above) | fixed rate | achieved | p50 ms | p99 ms | p99.9 ms | max ms |',
      '|---|---:|---:|---:|---:|---:|---:|---:|',
      ...r.fixed_rate.map((f) => `| ${f.scenario} | ${int(f.max_rps)} | ${int(f.rate)} | ${int(f.achieved_rps)} | ${ms(f.p50_ms)} | ${ms(f.p99_ms)} | ${ms(f.p999_ms)} | ${ms(f.max_ms)} |`),
      '',
    )
  }
  const t = targets(r)
  if (t.length) {
    lines.push('## Targets (issues 6 and 16)', '', '| target | figure | met |', '|---|---:|---|', ...t.map((x) => `| ${x.target} | ${x.figure} | ${x.met ? 'yes' : '**no**'} |`))
    lines.push('| resident memory after 1M auths within 10% of after 10k | see `npm run bench -- --memory` | |', '')
  }
  const verified = r.scenarios.find((s) => s.id === 'auth-verified')
  if (verified?.rps_median) {
    lines.push(
      '## Capacity',
      '',
      `One core sustains about **${int(verified.rps_median)} verified auths a second**, so about **${((verified.rps_median * 86_400) / 1e9).toFixed(2)} billion a day** at saturation, or about ${((verified.rps_median * 0.8 * 86_400) / 1e9).toFixed(2)} billion a day at the 80% load measured above.`,
      '',
    )
  }
  if (r.workers) {
    const w = r.workers
    lines.push(
      '## Workers (node:cluster), unpinned',
      '',
      'Server and load generator share all cores here, so this shows what a second worker gains when the machine also runs the load.',
      '',
      '| workers | median req/s | p99 ms | runs |',
      '|---:|---:|---:|---|',
      `| 1 | ${int(w.one_rps)} | ${ms(w.p99_one_ms)} | ${w.runs.filter((x) => x.workers === 1).map((x) => int(x.rps)).join(' / ')} |`,
      `| 2 | ${int(w.two_rps)} | ${ms(w.p99_two_ms)} | ${w.runs.filter((x) => x.workers === 2).map((x) => int(x.rps)).join(' / ')} |`,
      '',
      `Gain from 1 to 2 workers: **× ${ratio(w.gain)}**.`,
      '',
    )
  }
  if (r.micro) {
    lines.push('## Micro-benchmarks (one core)', '', '| operation | ops/s | ns/op |', '|---|---:|---:|', ...r.micro.results.map((x) => `| ${x.name} | ${int(x.ops)} | ${int(1e9 / x.ops)} |`), '')
  }
  const errs = Object.entries(r.server_errors).filter(([, v]) => v.length)
  if (errs.length) lines.push('## Errors logged by the servers', '', ...errs.flatMap(([k, v]) => v.map((l) => `- ${k}: \`${l.slice(0, 300)}\``)), '')
  if (r.ten_k_apps_server_start_ms) lines.push(`Start-up with ${o.apps.toLocaleString('en')} apps (until /readyz answers 200): ${int(r.ten_k_apps_server_start_ms)} ms.`, '')
  return `${lines.join('\n')}\n`
}
