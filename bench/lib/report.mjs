// Medians, targets and the markdown report.

export function median(values) {
  const v = values.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b)
  if (v.length === 0) return null
  const mid = Math.floor(v.length / 2)
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2
}

export function summarize(scenarios, runs) {
  return scenarios.map((s) => {
    const mine = runs.filter((r) => r.scenario === s.id)
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
      rounds_rps: mine.map((r) => Math.round(r.rps)),
      rounds_ratio: s.vs ? mine.map((r) => round2(r.ratio)) : null,
      problems: mine.flatMap((r) => r.problems.map((p) => `round ${r.round}: ${p}`)),
    }
  })
}

const round2 = (x) => (x === null || x === undefined ? null : Math.round(x * 100) / 100)
const int = (x) => (x === null || x === undefined ? 'n/a' : Math.round(x).toLocaleString('en'))
const ms = (x) => (x === null || x === undefined ? 'n/a' : x.toFixed(2))
const ratio = (x) => (x === null || x === undefined ? '' : x.toFixed(2))

export function targets(report) {
  const by = (id) => report.scenarios.find((s) => s.id === id)
  const verified = by('auth-verified')
  const me = by('me')
  const many = by('auth-10k-apps')
  const fixed = report.fixed_rate.find((f) => f.scenario === 'auth-verified')
  const rows = []
  if (verified) rows.push({ target: 'auth verified ≥ 0.60 of raw node:http (same round)', figure: ratio(verified.ratio_median), met: verified.ratio_median >= 0.6 })
  if (me) rows.push({ target: 'GET /v1/messenger/me ≥ 0.70 of raw node:http GET (same round)', figure: ratio(me.ratio_median), met: me.ratio_median >= 0.7 })
  if (many) rows.push({ target: '10,000 apps ≥ 0.95 × 1 app (same round)', figure: ratio(many.ratio_to_also_median), met: many.ratio_to_also_median >= 0.95 })
  if (fixed) rows.push({ target: 'p99 latency at 80% of the maximum rate < 5 ms (auth verified)', figure: `${ms(fixed.p99_ms)} ms`, met: fixed.p99_ms < 5 })
  return rows
}

export function markdownReport(r) {
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
    'Ratios are taken within each round against the raw baseline of the same method, then the median is shown.',
    '',
    '| scenario | median req/s | p50 ms | p99 ms | ratio to raw | req/s per round | what |',
    '|---|---:|---:|---:|---:|---|---|',
    ...r.scenarios.map(
      (s) =>
        `| ${s.id} | ${int(s.rps_median)} | ${ms(s.p50_ms_median)} | ${ms(s.p99_ms_median)} | ${s.baseline ? '1.00' : ratio(s.ratio_median)}${s.also ? ` (${ratio(s.ratio_to_also_median)} × ${s.also})` : ''} | ${s.rounds_rps.map(int).join(' / ')} | ${s.what} |`,
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
    lines.push('## Targets (issue 6)', '', '| target | figure | met |', '|---|---:|---|', ...t.map((x) => `| ${x.target} | ${x.figure} | ${x.met ? 'yes' : '**no**'} |`))
    lines.push('| resident memory after 1M auths within 10% of after 10k | see `npm run bench -- --memory` | |', '')
  }
  const verified = r.scenarios.find((s) => s.id === 'auth-verified')
  if (verified) {
    lines.push(
      '## Capacity',
      '',
      `One core sustains about **${int(verified.rps_median)} verified auths a second**, so about **${(verified.rps_median * 86_400 / 1e9).toFixed(2)} billion a day** at saturation, or about ${(verified.rps_median * 0.8 * 86_400 / 1e9).toFixed(2)} billion a day at the 80% load measured above.`,
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
  const errs = Object.entries(r.server_errors ?? {}).filter(([, v]) => v.length)
  if (errs.length) lines.push('## Errors logged by the servers', '', ...errs.flatMap(([k, v]) => v.map((l) => `- ${k}: \`${l.slice(0, 300)}\``)), '')
  if (r.ten_k_apps_server_start_ms) lines.push(`Start-up with ${o.apps.toLocaleString('en')} apps (until /readyz answers 200): ${int(r.ten_k_apps_server_start_ms)} ms.`, '')
  return `${lines.join('\n')}\n`
}
