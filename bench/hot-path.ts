// `npm run bench`: Verity's hot path next to what bare node:http does on the same machine.
//
// Starts the real server (built dist, `verity serve`, LOG_LEVEL=warn, SQLite in a temp folder)
// and a raw node:http baseline (bench/raw-baseline.mjs), both pinned to core 0, and loads them from
// a separate process pinned to core 1 (wrk with a Lua script, or autocannon where wrk is missing).
// Several rounds alternate baseline and Verity runs; each Verity figure is divided by the baseline
// of its own round. Each Verity run also reads the server's longest event-loop stall from its
// /metrics. Then: p99 latency at a fixed 80% of the measured maximum, 1 vs 2 workers, and the
// micro-benchmarks.
import { join } from 'node:path'
import { BenchRun, machine, say, serverErrors, type Server } from './lib/bench-run.js'
import { markdownReport, summarize, workersSummary, type FixedRateRow, type HotPathReport, type RunEntry, type ScenarioInfo, type WorkersRun } from './lib/hot-path-report.js'
import { closedLoop, loader, type LoadSpec } from './lib/load-tools.js'
import { longestStallMs, startStallWatch } from './lib/loop-stall.js'
import { benchOptions, commandLine, quick } from './lib/options.js'
import { ROOT, run, SERVER_CPU } from './lib/processes.js'
import { accessTokens, AUTH, expect200, JSON_HEADERS, meSpec, postSpec, precheck, verifiedBodies, type AnswerCheck } from './lib/requests.js'
import { hmacHex, randomTag, seedMany, seedSmall } from './lib/seed.js'

interface Scenario extends ScenarioInfo {
  readonly server: Server
  readonly spec: LoadSpec
  readonly check: AnswerCheck
  /** The status every answer has (200 unless said). */
  readonly expect?: number
}

export async function hotPath(bench: BenchRun): Promise<void> {
  const opts = benchOptions()
  const info = machine(opts.tool)
  const work = bench.work
  say(`machine: ${info.cpu}, ${info.cores} cores, Node ${info.node}, ${info.tool}; ${info.pinning}`)
  if (info.load_average_at_start[0]! > 0.5) say(`warning: load average ${info.load_average_at_start[0]}: other work is running, figures will be low and noisy`)

  let t = performance.now()
  const tag = randomTag()
  const small = await seedSmall(work)
  const many = opts.only && !opts.only.includes('auth-10k-apps') ? null : await seedMany(work, opts.apps, opts.users)
  say(`data: 1 app, and ${opts.apps} apps (${((performance.now() - t) / 1000).toFixed(1)} s)`)

  const raw = await bench.startRaw()
  const verity = await bench.startVerity('verity', { dataDir: small.dataDir })
  t = performance.now()
  const verityMany = many ? await bench.startVerity('verity-10k-apps', { dataDir: many.dataDir }) : null
  const manyStartMs = verityMany ? performance.now() - t : null

  // Requests: 1,000 users with precomputed hashes, so the statistics buffer sees realistic keys.
  const iosBodies = verifiedBodies(small.appId, 'ios', small.secrets.ios, opts.users, tag)
  const webBodies = verifiedBodies(small.appId, 'web', small.webLastTried, opts.users, tag)
  const manyBodies = many ? many.apps.map((a, i) => JSON.stringify({ app_id: a.appId, platform: 'ios', user_id: `user_${tag}_${i}`, user_hash: hmacHex(a.secret, `user_${tag}_${i}`) })) : []
  const tokens = await accessTokens(verity.port, iosBodies, 100)
  const wrongHash = 'f'.repeat(64)
  const verified = expect200((b) => b.user?.verified === true, 'a verified user')

  const all: Array<Scenario | null> = [
    { id: 'raw-post', baseline: true, server: raw, what: 'raw node:http: POST with the same auth body, JSON.parse + field checks, answers {"ok":true}', spec: postSpec('raw-post', raw.port, iosBodies), check: expect200((b) => b.ok === true, 'ok') },
    { id: 'auth-verified', vs: 'raw-post', server: verity, what: 'POST /v1/messenger/auth, valid user_hash: 1 HMAC + 1 HS256 token; 1,000 users in rotation', spec: postSpec('auth-verified', verity.port, iosBodies), check: verified },
    verityMany && {
      id: 'auth-10k-apps',
      vs: 'raw-post',
      also: 'auth-verified',
      server: verityMany,
      what: `as auth-verified, on a server with ${opts.apps.toLocaleString('en')} apps; requests spread over ${opts.users.toLocaleString('en')} of them`,
      spec: postSpec('auth-10k-apps', verityMany.port, manyBodies),
      check: verified,
    },
    { id: 'auth-3-secrets', vs: 'raw-post', server: verity, what: 'as auth-verified, on a platform with 3 active secrets; the hash is made with the secret tried last, so all 3 HMACs run', spec: postSpec('auth-3-secrets', verity.port, webBodies), check: verified },
    {
      id: 'auth-anonymous',
      vs: 'raw-post',
      server: verity,
      what: 'POST /v1/messenger/auth with no identity: a new device id + token',
      spec: postSpec('auth-anonymous', verity.port, [JSON.stringify({ app_id: small.appId, platform: 'ios' })]),
      check: expect200((b) => b.user?.anonymous === true && typeof b.user.device_id === 'string', 'an anonymous user'),
    },
    {
      id: 'auth-refused',
      vs: 'raw-post',
      server: verity,
      what: 'POST /v1/messenger/auth, wrong user_hash on an enforced platform: 401 (a new user id per request, so the failure limit never applies; every failure is recorded and diagnosed)',
      spec: { name: 'auth-refused', port: verity.port, method: 'POST', path: AUTH, unique: { headers: JSON_HEADERS, prefix: `{"app_id":"${small.appId}","platform":"android","user_id":"refused_${tag}_`, suffix: `","user_hash":"${wrongHash}"}` } },
      expect: 401,
      check: (res) => (res.status === 401 && res.body?.error?.code === 'user_hash_invalid' ? null : 'expected 401 user_hash_invalid'),
    },
    { id: 'raw-get', baseline: true, server: raw, what: 'raw node:http: GET with the same Authorization header, answers {"ok":true}', spec: { ...meSpec('raw-get', raw.port, tokens) }, check: expect200((b) => b.ok === true, 'ok') },
    { id: 'me', vs: 'raw-get', server: verity, what: "GET /v1/messenger/me: access-token verification and the verified user's profile (from memory); 100 tokens in rotation", spec: meSpec('me', verity.port, tokens), check: verified },
  ]
  const scenarios = all.filter((s): s is Scenario => s !== null && (!opts.only || Boolean(s.baseline) || opts.only.includes(s.id)))

  for (const s of scenarios) await precheck(s.id, s.spec, s.check)

  // Rounds: every scenario once per round, baselines first, so each ratio is within one round.
  const runs: RunEntry[] = []
  for (let round = 1; round <= opts.rounds; round++) {
    const inRound: Record<string, { rps: number }> = {}
    for (const s of scenarios) {
      if (!s.baseline) await startStallWatch(s.server.port)
      const r = await closedLoop(s.spec, { warmupS: opts.warmupS, durationS: opts.durationS, connections: opts.connections, workDir: work, tool: opts.tool })
      const stall = s.baseline ? null : await longestStallMs(s.server.port)
      const problems: string[] = []
      if (r.socket_errors > 0) problems.push(`${r.socket_errors} socket errors`)
      if ((s.expect ?? 200) === 200 && r.non2xx > 0) problems.push(`${r.non2xx} answers were not 2xx`)
      if (s.expect === 401 && r.non2xx !== r.requests) problems.push(`${r.requests - r.non2xx} answers were not errors`)
      inRound[s.id] = r
      const base = s.vs ? inRound[s.vs] : undefined
      const entry: RunEntry = { round, scenario: s.id, ...r, ratio: base ? r.rps / base.rps : null, stall_ms: stall, problems }
      const also = s.also ? inRound[s.also] : undefined
      if (also) entry.ratio_to_also = r.rps / also.rps
      runs.push(entry)
      say(
        `round ${round}  ${s.id.padEnd(15)} ${Math.round(r.rps).toString().padStart(7)} req/s  p50 ${r.p50_ms.toFixed(2)} ms  p99 ${r.p99_ms.toFixed(2)} ms` +
          `${entry.ratio !== null ? `  ratio ${entry.ratio.toFixed(2)}` : ''}${stall !== null ? `  stall ${stall.toFixed(1)} ms` : ''}${problems.length ? `  PROBLEM: ${problems.join('; ')}` : ''}`,
      )
    }
    // The counter in auth-refused continues across runs; a post-check proves no 429 crept in.
    for (const s of scenarios) await precheck(s.id, s.spec, s.check)
  }
  const summary = summarize(scenarios, runs)

  // p99 latency at a fixed 80% of the maximum rate (open loop, corrected for coordinated omission).
  const fixedRate: FixedRateRow[] = []
  for (const id of ['auth-verified', 'me']) {
    const s = scenarios.find((x) => x.id === id)
    const max = summary.find((x) => x.id === id)?.rps_median
    if (!s || !max) continue
    const rate = Math.round(max * 0.8)
    const r = await loader(s.spec, { name: `${id}-fixed`, rate, connections: opts.connections, warmupMs: opts.warmupS * 1000, durationMs: Math.max(opts.durationS, quick ? 2 : 10) * 1000 }, { workDir: work })
    const row: FixedRateRow = { scenario: id, max_rps: max, rate, achieved_rps: r.rate_achieved, p50_ms: r.latency_us.p50 / 1000, p99_ms: r.latency_us.p99 / 1000, p999_ms: r.latency_us.p999 / 1000, max_ms: r.latency_us.max / 1000, statuses: r.statuses, errors: r.errors }
    fixedRate.push(row)
    say(`fixed rate ${id}: ${rate} req/s (80% of ${Math.round(max)}): achieved ${Math.round(r.rate_achieved)}, p50 ${row.p50_ms.toFixed(2)} ms, p99 ${row.p99_ms.toFixed(2)} ms, p99.9 ${row.p999_ms.toFixed(2)} ms, max ${row.max_ms.toFixed(1)} ms`)
  }

  const errors: Record<string, string[]> = { verity: serverErrors(verity), ...(verityMany && { 'verity-10k-apps': serverErrors(verityMany) }) }
  await bench.stop(verityMany)

  // 1 worker vs 2 (node:cluster), everything unpinned: the load generator shares the cores.
  const workers: WorkersRun[] = []
  if (opts.workers && (!opts.only || opts.only.includes('workers'))) {
    await bench.stop(raw)
    await bench.stop(verity)
    for (let round = 1; round <= Math.min(2, opts.rounds); round++) {
      for (const n of [1, 2]) {
        const server = await bench.startVerity(`verity-workers-${n}`, { dataDir: small.dataDir }, { cpu: null, workers: n })
        const spec = postSpec(`workers-${n}`, server.port, iosBodies)
        const r = await closedLoop(spec, { warmupS: opts.warmupS, durationS: opts.durationS, connections: opts.connections, workDir: work, tool: opts.tool, cpu: null })
        await bench.stop(server)
        workers.push({ round, workers: n, ...r })
        say(`round ${round}  workers=${n}  ${Math.round(r.rps)} req/s  p99 ${r.p99_ms.toFixed(2)} ms`)
      }
    }
  }
  await bench.stopAll()

  let micro: HotPathReport['micro'] = null
  if (opts.micro && !opts.only) {
    say('micro-benchmarks…')
    micro = JSON.parse(await run(process.execPath, [join(ROOT, 'bench/micro.mjs'), '--json'], { cpu: SERVER_CPU })) as HotPathReport['micro']
  }

  const report: HotPathReport = {
    date: bench.startedAt.toISOString(),
    command: commandLine(),
    machine: info,
    options: opts,
    elapsed_s: bench.elapsedS(),
    ten_k_apps_server_start_ms: manyStartMs && Math.round(manyStartMs),
    scenarios: summary,
    fixed_rate: fixedRate,
    workers: workers.length ? workersSummary(workers) : null,
    micro,
    server_errors: errors,
    runs,
  }
  const md = markdownReport(report)
  process.stdout.write(`\n${md}`)
  bench.writeReport(bench.reportName(''), report, md)
}
