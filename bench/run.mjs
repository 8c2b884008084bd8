// `npm run bench`: Verity's hot path next to what bare node:http does on the same machine.
//
// Starts the real server (built dist, `verity serve`, LOG_LEVEL=warn, SQLite in a temp folder)
// and a raw node:http baseline (bench/raw-baseline.mjs), both pinned to core 0, and loads them from
// a separate process pinned to core 1 (wrk with a Lua script, or autocannon where wrk is missing).
// Several rounds alternate baseline and Verity runs; each Verity figure is divided by the baseline
// of its own round. Then: p99 latency at a fixed 80% of the measured maximum, 1 vs 2 workers, and
// the micro-benchmarks. Reports go to bench/results/<date>.{json,md}.
//
//   npm run bench                       the full run (about 4 minutes)
//   npm run bench -- --memory           resident memory over 1 million auths (about 1 minute)
//   npm run bench -- --profile [id]     a --cpu-prof of one scenario (default auth-verified)
//   npm run bench -- --quick            one short round, for trying the harness
//   options: --rounds N --warmup S --duration S --only id,id --tool wrk|autocannon --no-micro --no-workers
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { closedLoop, loader, WRK } from './lib/load-tools.mjs'
import { freePort, LOAD_CPU, PINNING, ROOT, rssKiB, run, SERVER_CPU, sleep, startProcess, stopProcess, tail, VERITY_BIN, waitReady } from './lib/processes.mjs'
import { hmacHex, randomTag, seedMany, seedSmall } from './lib/seed.mjs'
import { markdownReport, median, summarize } from './lib/report.mjs'
import { summarizeProfile } from './lib/profile.mjs'

// ---------------------------------------------------------------------------------------------
// Options

const argv = process.argv.slice(2)
const flag = (name) => argv.includes(`--${name}`)
const value = (name, fallback) => {
  const i = argv.indexOf(`--${name}`)
  return i >= 0 && argv[i + 1] !== undefined && !argv[i + 1].startsWith('--') ? argv[i + 1] : fallback
}
const quick = flag('quick')
const opts = {
  rounds: Number(value('rounds', quick ? 1 : 3)),
  warmupS: Number(value('warmup', quick ? 1 : 2)),
  durationS: Number(value('duration', quick ? 2 : 5)),
  connections: Number(value('connections', 10)),
  apps: Number(value('apps', 10_000)),
  users: 1_000,
  tool: value('tool', WRK ? 'wrk' : 'autocannon'),
  only: value('only', null)?.split(',') ?? null,
  micro: !flag('no-micro'),
  workers: !flag('no-workers'),
}
const mode = flag('memory') ? 'memory' : flag('profile') ? 'profile' : 'bench'

const ADMIN_KEY = randomBytes(32).toString('hex')
const startedAt = new Date()
const work = mkdtempSync(join(tmpdir(), 'verity-bench-'))
const RESULTS = join(ROOT, 'bench/results')
const children = new Set()

function say(text) {
  process.stderr.write(`${text}\n`)
}

// ---------------------------------------------------------------------------------------------
// Servers

async function startVerity(name, dataDir, { cpu = SERVER_CPU, workers = 1, nodeArgs = [], env = {} } = {}) {
  const port = await freePort()
  const child = startProcess({
    name,
    cpu,
    nodeArgs,
    script: VERITY_BIN,
    args: ['serve', '--host', '127.0.0.1', '--port', String(port), '--data-dir', dataDir, ...(workers > 1 ? ['--workers', String(workers)] : [])],
    // The load generator is one client address: the per-address allowance of sessions without a
    // proof (VERITY_CLIENT_SESSION_RATE) would answer auth-anonymous with 429 after 120.
    env: { NODE_ENV: 'production', LOG_LEVEL: 'warn', VERITY_ADMIN_KEY: ADMIN_KEY, VERITY_CLIENT_SESSION_RATE: '10000000', ...env },
    logDir: work,
  })
  children.add(child)
  await waitReady(`http://127.0.0.1:${port}/readyz`, child)
  return { name, port, child, pid: child.pid }
}

async function startRaw() {
  const port = await freePort()
  const child = startProcess({ name: 'raw', cpu: SERVER_CPU, script: join(ROOT, 'bench/raw-baseline.mjs'), args: [String(port)], logDir: work })
  children.add(child)
  await waitReady(`http://127.0.0.1:${port}/`, child)
  return { name: 'raw', port, child, pid: child.pid }
}

async function stop(server) {
  if (!server) return
  await stopProcess(server.child)
  children.delete(server.child)
}

async function stopAll() {
  await Promise.all([...children].map((c) => stopProcess(c)))
  children.clear()
}

// ---------------------------------------------------------------------------------------------
// Requests

const JSON_HEADERS = { 'Content-Type': 'application/json' }
const AUTH = '/v1/messenger/auth'
const ME = '/v1/messenger/me'

function verifiedBodies(appId, platform, secret, count, tag) {
  const bodies = []
  for (let i = 0; i < count; i++) {
    const userId = `user_${tag}_${i}`
    bodies.push(JSON.stringify({ app_id: appId, platform, user_id: userId, user_hash: hmacHex(secret, userId) }))
  }
  return bodies
}

const postSpec = (name, port, bodies) => ({ name, port, method: 'POST', path: AUTH, rotate: bodies.map((body) => ({ headers: JSON_HEADERS, body })) })

async function fetchJson(port, method, path, { body, token } = {}) {
  const headers = {}
  if (body !== undefined) headers['content-type'] = 'application/json'
  if (token) headers.authorization = `Bearer ${token}`
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method, headers, body })
  const text = await res.text()
  return { status: res.status, body: text ? JSON.parse(text) : undefined }
}

let prechecks = 0
/** One request of the scenario, through fetch, to prove the server answers what we think it does. */
async function precheck(s) {
  const spec = s.spec
  const r = spec.unique
    ? { headers: spec.unique.headers, body: `${spec.unique.prefix}precheck${++prechecks}${spec.unique.suffix}` }
    : spec.rotate[0]
  const res = await fetchJson(spec.port, spec.method, spec.path, { body: r.body, token: r.headers?.Authorization?.slice(7) })
  const problem = s.check(res)
  if (problem) throw new Error(`scenario ${s.id}: ${problem} (got ${res.status} ${JSON.stringify(res.body)})`)
}

// ---------------------------------------------------------------------------------------------
// Environment

function machine() {
  const wrkVersion = WRK ? /wrk\s+(\S+)/.exec(spawnSync('wrk', ['-v'], { encoding: 'utf8' }).stdout ?? '')?.[1] ?? 'unknown' : null
  const git = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim()
  const dirty = spawnSync('git', ['status', '--porcelain', '--', 'packages'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim() !== ''
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
    node: process.version,
    os: `${process.platform} ${spawnSync('uname', ['-r'], { encoding: 'utf8' }).stdout.trim()}`,
    wrk: wrkVersion,
    tool: opts.tool,
    pinning: PINNING ? `server on core ${SERVER_CPU}, load generator on core ${LOAD_CPU} (taskset)` : 'none (no taskset or one core)',
    load_average_at_start: loadavg().map((l) => Math.round(l * 100) / 100),
    commit: git ? `${git}${dirty ? ' + uncommitted changes in packages/' : ''}` : 'unknown',
  }
}

function reportName(suffix) {
  const d = startedAt.toISOString()
  return `${d.slice(0, 10)}-${d.slice(11, 13)}${d.slice(14, 16)}${suffix}`
}

function writeReport(name, json, md) {
  mkdirSync(RESULTS, { recursive: true })
  writeFileSync(join(RESULTS, `${name}.json`), `${JSON.stringify(json, null, 2)}\n`)
  writeFileSync(join(RESULTS, `${name}.md`), md)
  say(`\nreport: bench/results/${name}.md and .json`)
}

function serverErrors(server) {
  const lines = readFileSync(server.child.logFile, 'utf8').split('\n').filter((l) => /"level":"(error|fatal)"/.test(l))
  return lines.slice(0, 5)
}

// ---------------------------------------------------------------------------------------------
// The full benchmark

async function bench() {
  const info = machine()
  say(`machine: ${info.cpu}, ${info.cores} cores, Node ${info.node}, ${info.tool}; ${info.pinning}`)
  if (info.load_average_at_start[0] > 0.5) say(`warning: load average ${info.load_average_at_start[0]}: other work is running, figures will be low and noisy`)

  let t = performance.now()
  const tag = randomTag()
  const small = await seedSmall(work)
  const many = opts.only && !opts.only.includes('auth-10k-apps') ? null : await seedMany(work, opts.apps, opts.users)
  say(`data: 1 app, and ${opts.apps} apps (${((performance.now() - t) / 1000).toFixed(1)} s)`)

  const raw = await startRaw()
  const verity = await startVerity('verity', small.dataDir)
  t = performance.now()
  const verityMany = many ? await startVerity('verity-10k-apps', many.dataDir) : null
  const manyStartMs = verityMany ? performance.now() - t : null

  // Requests: 1,000 users with precomputed hashes, so the statistics buffer sees realistic keys.
  const iosBodies = verifiedBodies(small.appId, 'ios', small.secrets.ios, opts.users, tag)
  const webBodies = verifiedBodies(small.appId, 'web', small.webLastTried, opts.users, tag)
  const manyBodies = many ? many.apps.map((a, i) => JSON.stringify({ app_id: a.appId, platform: 'ios', user_id: `user_${tag}_${i}`, user_hash: hmacHex(a.secret, `user_${tag}_${i}`) })) : []
  const tokens = []
  for (let i = 0; i < 100; i++) {
    const res = await fetchJson(verity.port, 'POST', AUTH, { body: iosBodies[i] })
    if (res.status !== 200) throw new Error(`could not get an access token: ${res.status} ${JSON.stringify(res.body)}`)
    tokens.push(res.body.access_token)
  }
  const meRotate = tokens.map((tok) => ({ headers: { Authorization: `Bearer ${tok}` } }))
  const wrongHash = 'f'.repeat(64)

  const ok = (pred, what) => (res) => (res.status === 200 && pred(res.body) ? null : `expected 200 with ${what}`)
  const scenarios = [
    {
      id: 'raw-post', baseline: true, server: raw,
      what: 'raw node:http: POST with the same auth body, JSON.parse + field checks, answers {"ok":true}',
      spec: postSpec('raw-post', raw.port, iosBodies), check: ok((b) => b.ok === true, 'ok'),
    },
    {
      id: 'auth-verified', vs: 'raw-post', server: verity,
      what: 'POST /v1/messenger/auth, valid user_hash: 1 HMAC + 1 HS256 token; 1,000 users in rotation',
      spec: postSpec('auth-verified', verity.port, iosBodies), check: ok((b) => b.user?.verified === true, 'a verified user'),
    },
    {
      id: 'auth-10k-apps', vs: 'raw-post', also: 'auth-verified', server: verityMany,
      what: `as auth-verified, on a server with ${opts.apps.toLocaleString('en')} apps; requests spread over ${opts.users.toLocaleString('en')} of them`,
      spec: verityMany && postSpec('auth-10k-apps', verityMany.port, manyBodies), check: ok((b) => b.user?.verified === true, 'a verified user'),
    },
    {
      id: 'auth-3-secrets', vs: 'raw-post', server: verity,
      what: 'as auth-verified, on a platform with 3 active secrets; the hash is made with the secret tried last, so all 3 HMACs run',
      spec: postSpec('auth-3-secrets', verity.port, webBodies), check: ok((b) => b.user?.verified === true, 'a verified user'),
    },
    {
      id: 'auth-anonymous', vs: 'raw-post', server: verity,
      what: 'POST /v1/messenger/auth with no identity: a new device id + token',
      spec: postSpec('auth-anonymous', verity.port, [JSON.stringify({ app_id: small.appId, platform: 'ios' })]),
      check: ok((b) => b.user?.anonymous === true && typeof b.user.device_id === 'string', 'an anonymous user'),
    },
    {
      id: 'auth-refused', vs: 'raw-post', server: verity,
      what: 'POST /v1/messenger/auth, wrong user_hash on an enforced platform: 401 (a new user id per request, so the failure limit never applies; every failure is recorded and diagnosed)',
      spec: {
        name: 'auth-refused', port: verity.port, method: 'POST', path: AUTH,
        unique: { headers: JSON_HEADERS, prefix: `{"app_id":"${small.appId}","platform":"android","user_id":"refused_${tag}_`, suffix: `","user_hash":"${wrongHash}"}` },
      },
      expect: 401,
      check: (res) => (res.status === 401 && res.body?.error?.code === 'user_hash_invalid' ? null : 'expected 401 user_hash_invalid'),
    },
    {
      id: 'raw-get', baseline: true, server: raw,
      what: 'raw node:http: GET with the same Authorization header, answers {"ok":true}',
      spec: { name: 'raw-get', port: raw.port, method: 'GET', path: ME, rotate: meRotate }, check: ok((b) => b.ok === true, 'ok'),
    },
    {
      id: 'me', vs: 'raw-get', server: verity,
      what: 'GET /v1/messenger/me: access-token verification only; 100 tokens in rotation',
      spec: { name: 'me', port: verity.port, method: 'GET', path: ME, rotate: meRotate }, check: ok((b) => b.user?.verified === true, 'a verified user'),
    },
  ].filter((s) => s.spec && (!opts.only || s.baseline || opts.only.includes(s.id)))

  for (const s of scenarios) await precheck(s)

  // Rounds: every scenario once per round, baselines first, so each ratio is within one round.
  const runs = []
  for (let round = 1; round <= opts.rounds; round++) {
    const inRound = {}
    for (const s of scenarios) {
      const r = await closedLoop(s.spec, { warmupS: opts.warmupS, durationS: opts.durationS, connections: opts.connections, workDir: work, tool: opts.tool })
      const problems = []
      if (r.socket_errors > 0) problems.push(`${r.socket_errors} socket errors`)
      if ((s.expect ?? 200) === 200 && r.non2xx > 0) problems.push(`${r.non2xx} answers were not 2xx`)
      if (s.expect === 401 && r.non2xx !== r.requests) problems.push(`${r.requests - r.non2xx} answers were not errors`)
      inRound[s.id] = r
      const base = s.vs ? inRound[s.vs] : null
      const entry = { round, scenario: s.id, ...r, ratio: base ? r.rps / base.rps : null, problems }
      if (s.also && inRound[s.also]) entry.ratio_to_also = r.rps / inRound[s.also].rps
      runs.push(entry)
      say(
        `round ${round}  ${s.id.padEnd(15)} ${Math.round(r.rps).toString().padStart(7)} req/s  p50 ${r.p50_ms.toFixed(2)} ms  p99 ${r.p99_ms.toFixed(2)} ms` +
          `${entry.ratio !== null ? `  ratio ${entry.ratio.toFixed(2)}` : ''}${problems.length ? `  PROBLEM: ${problems.join('; ')}` : ''}`,
      )
    }
    // The counter in auth-refused continues across runs; a post-check proves no 429 crept in.
    for (const s of scenarios) await precheck(s)
  }
  const summary = summarize(scenarios, runs)

  // p99 latency at a fixed 80% of the maximum rate (open loop, corrected for coordinated omission).
  const fixedRate = []
  for (const id of ['auth-verified', 'me']) {
    const s = scenarios.find((x) => x.id === id)
    if (!s) continue
    const max = summary.find((x) => x.id === id).rps_median
    const rate = Math.round(max * 0.8)
    const r = await loader(s.spec, { name: `${id}-fixed`, rate, connections: opts.connections, warmupMs: opts.warmupS * 1000, durationMs: Math.max(opts.durationS, quick ? 2 : 10) * 1000 }, { workDir: work })
    const row = { scenario: id, max_rps: max, rate, achieved_rps: r.rate_achieved, p50_ms: r.latency_us.p50 / 1000, p99_ms: r.latency_us.p99 / 1000, p999_ms: r.latency_us.p999 / 1000, max_ms: r.latency_us.max / 1000, statuses: r.statuses, errors: r.errors }
    fixedRate.push(row)
    say(`fixed rate ${id}: ${rate} req/s (80% of ${Math.round(max)}): achieved ${Math.round(r.rate_achieved)}, p50 ${row.p50_ms.toFixed(2)} ms, p99 ${row.p99_ms.toFixed(2)} ms, p99.9 ${row.p999_ms.toFixed(2)} ms, max ${row.max_ms.toFixed(1)} ms`)
  }

  const errors = { verity: serverErrors(verity), ...(verityMany && { 'verity-10k-apps': serverErrors(verityMany) }) }
  await stop(verityMany)

  // 1 worker vs 2 (node:cluster), everything unpinned: the load generator shares the cores.
  const workers = []
  if (opts.workers && (!opts.only || opts.only.includes('workers'))) {
    await stop(raw)
    await stop(verity)
    for (let round = 1; round <= Math.min(2, opts.rounds); round++) {
      for (const n of [1, 2]) {
        const server = await startVerity(`verity-workers-${n}`, small.dataDir, { cpu: null, workers: n })
        const spec = postSpec(`workers-${n}`, server.port, iosBodies)
        const r = await closedLoop(spec, { warmupS: opts.warmupS, durationS: opts.durationS, connections: opts.connections, workDir: work, tool: opts.tool, cpu: null })
        await stop(server)
        workers.push({ round, workers: n, ...r })
        say(`round ${round}  workers=${n}  ${Math.round(r.rps)} req/s  p99 ${r.p99_ms.toFixed(2)} ms`)
      }
    }
  }
  await stopAll()

  let micro = null
  if (opts.micro && !opts.only) {
    say('micro-benchmarks…')
    micro = JSON.parse(await run(process.execPath, [join(ROOT, 'bench/micro.mjs'), '--json'], { cpu: SERVER_CPU }))
  }

  const elapsedS = (Date.now() - startedAt.getTime()) / 1000
  const report = {
    date: startedAt.toISOString(),
    command: `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`,
    machine: info,
    options: opts,
    elapsed_s: Math.round(elapsedS),
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
  writeReport(reportName(''), report, md)
}

function workersSummary(runs) {
  const by = (n) => runs.filter((r) => r.workers === n)
  const one = median(by(1).map((r) => r.rps))
  const two = median(by(2).map((r) => r.rps))
  return { one_rps: one, two_rps: two, gain: two / one, p99_one_ms: median(by(1).map((r) => r.p99_ms)), p99_two_ms: median(by(2).map((r) => r.p99_ms)), runs }
}

// ---------------------------------------------------------------------------------------------
// Memory: RSS after the first 10,000 auths and along the way to 1,000,000

async function memory() {
  const info = machine()
  const total = Number(value('total', 1_000_000))
  const users = Number(value('users', 100_000))
  say(`memory: ${total.toLocaleString('en')} verified auths over ${users.toLocaleString('en')} users`)
  const small = await seedSmall(work)
  const tag = randomTag()
  const bodies = verifiedBodies(small.appId, 'ios', small.secrets.ios, users, tag)
  const verity = await startVerity('verity-memory', small.dataDir)
  const spec = postSpec('memory', verity.port, bodies)
  // RSS from /proc; the V8 heap in use from the server's own /metrics, to tell heap growth from RSS noise.
  const heapMiB = async () => {
    const text = await (await fetch(`http://127.0.0.1:${verity.port}/metrics`)).text()
    const m = /^nodejs_heap_used_bytes (\S+)$/m.exec(text)
    return m ? Math.round((Number(m[1]) / 1048576) * 10) / 10 : null
  }
  const samples = [{ auths: 0, rss_kib: rssKiB(verity.pid), heap_mib: await heapMiB() }]
  let done = 0
  const steps = [10_000, 100_000, 250_000, 500_000, 750_000, total].filter((n, i, a) => n <= total && a.indexOf(n) === i)
  const t = performance.now()
  for (const target of steps) {
    // A fixed count, closed loop; each chunk continues the rotation where the last one stopped.
    const offset = done % bodies.length
    const rotated = { ...spec, rotate: [...spec.rotate.slice(offset), ...spec.rotate.slice(0, offset)] }
    const r = await loader(rotated, { name: 'memory', amount: target - done, connections: opts.connections }, { workDir: work })
    const non200 = Object.entries(r.statuses).filter(([k]) => k !== '200')
    if (non200.length || r.errors) throw new Error(`memory run: unexpected answers ${JSON.stringify(r.statuses)}, ${r.errors} errors`)
    done = target
    await sleep(1500) // let the statistics buffer flush
    samples.push({ auths: done, rss_kib: rssKiB(verity.pid), heap_mib: await heapMiB(), rps: Math.round(r.rate_achieved) })
    say(`  after ${done.toLocaleString('en').padStart(9)} auths: RSS ${(samples.at(-1).rss_kib / 1024).toFixed(1)} MiB, heap ${samples.at(-1).heap_mib} MiB (${Math.round(r.rate_achieved)} req/s)`)
  }
  const errors = serverErrors(verity)
  await stopAll()
  const at10k = samples.find((s) => s.auths === 10_000)?.rss_kib
  const at100k = samples.find((s) => s.auths === 100_000)?.rss_kib
  const atEnd = samples.at(-1).rss_kib
  const report = {
    date: startedAt.toISOString(),
    command: `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`,
    machine: info,
    elapsed_s: Math.round((performance.now() - t) / 1000),
    users,
    samples,
    growth: at10k ? atEnd / at10k - 1 : null,
    growth_from_100k: at100k ? atEnd / at100k - 1 : null,
    target: 'RSS after 1,000,000 auths within 10% of RSS after the first 10,000',
    met: at10k ? atEnd <= at10k * 1.1 : null,
    server_errors: errors,
  }
  const md = [
    `# Verity memory run, ${report.date.slice(0, 16).replace('T', ' ')} UTC`,
    '',
    `Machine: ${info.cpu}, ${info.cores} cores, Node ${info.node}; ${info.pinning}. Commit ${info.commit}.`,
    `Command: \`${report.command}\`. Verified auths (1 HMAC + token) over ${users.toLocaleString('en')} distinct users, ${opts.connections} connections, closed loop; RSS from /proc/<pid>/status 1.5 s after each step.`,
    '',
    '| auths | RSS MiB | V8 heap used MiB | req/s during the step |',
    '|---:|---:|---:|---:|',
    ...samples.map((s) => `| ${s.auths.toLocaleString('en')} | ${(s.rss_kib / 1024).toFixed(1)} | ${s.heap_mib ?? ''} | ${s.rps ?? ''} |`),
    '',
    `RSS growth from 10,000 to ${total.toLocaleString('en')} auths: **${report.growth === null ? 'n/a' : `${(report.growth * 100).toFixed(1)}%`}** (target: within 10%: ${report.met ? 'met' : 'NOT met'}); ` +
      `from 100,000 to ${total.toLocaleString('en')}: ${report.growth_from_100k === null ? 'n/a' : `${(report.growth_from_100k * 100).toFixed(1)}%`}.`,
    errors.length ? `\nServer errors logged:\n\n${errors.map((e) => `    ${e}`).join('\n')}\n` : '',
  ].join('\n')
  process.stdout.write(`\n${md}\n`)
  writeReport(reportName('-memory'), report, `${md}\n`)
}

// ---------------------------------------------------------------------------------------------
// Profile: one scenario under load with --cpu-prof

async function profile() {
  const id = argv[argv.indexOf('--profile') + 1]?.startsWith('--') ? 'auth-verified' : (argv[argv.indexOf('--profile') + 1] ?? 'auth-verified')
  const seconds = Number(value('seconds', 10))
  const dir = join(ROOT, 'bench/profiles')
  mkdirSync(dir, { recursive: true })
  const before = new Set(readdirSync(dir))
  const tag = randomTag()
  const many = id === 'auth-10k-apps'
  const data = many ? await seedMany(work, opts.apps, opts.users) : await seedSmall(work)
  const verity = await startVerity(`verity-profile`, data.dataDir, { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`] })
  let spec
  if (id === 'auth-verified') spec = postSpec(id, verity.port, verifiedBodies(data.appId, 'ios', data.secrets.ios, opts.users, tag))
  else if (id === 'auth-3-secrets') spec = postSpec(id, verity.port, verifiedBodies(data.appId, 'web', data.webLastTried, opts.users, tag))
  else if (id === 'auth-10k-apps') spec = postSpec(id, verity.port, data.apps.map((a, i) => JSON.stringify({ app_id: a.appId, platform: 'ios', user_id: `u${i}`, user_hash: hmacHex(a.secret, `u${i}`) })))
  else if (id === 'auth-anonymous') spec = postSpec(id, verity.port, [JSON.stringify({ app_id: data.appId, platform: 'ios' })])
  else if (id === 'me') {
    const bodies = verifiedBodies(data.appId, 'ios', data.secrets.ios, 100, tag)
    const tokens = []
    for (const body of bodies) tokens.push((await fetchJson(verity.port, 'POST', AUTH, { body })).body.access_token)
    spec = { name: id, port: verity.port, method: 'GET', path: ME, rotate: tokens.map((tok) => ({ headers: { Authorization: `Bearer ${tok}` } })) }
  } else throw new Error(`--profile takes auth-verified, auth-3-secrets, auth-10k-apps, auth-anonymous or me, not ${id}`)
  const r = await closedLoop(spec, { warmupS: 0, durationS: seconds, connections: opts.connections, workDir: work, tool: opts.tool })
  say(`${id} under --cpu-prof: ${Math.round(r.rps)} req/s (profiling slows it down)`)
  await stopAll()
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile') && !before.has(f))
  if (!file) throw new Error(`no profile was written to ${dir}; see ${tail(verity.child.logFile)}`)
  const text = summarizeProfile(JSON.parse(readFileSync(join(dir, file), 'utf8')))
  const out = join(dir, file.replace('.cpuprofile', '.txt'))
  writeFileSync(out, `${id}, ${Math.round(r.rps)} req/s under the profiler\n\n${text}`)
  process.stdout.write(`${text}\nprofile: ${join('bench/profiles', file)} (open in Chrome DevTools), summary: ${out}\n`)
}

// ---------------------------------------------------------------------------------------------

async function main() {
  try {
    if (mode === 'memory') await memory()
    else if (mode === 'profile') await profile()
    else await bench()
  } finally {
    await stopAll()
    rmSync(work, { recursive: true, force: true })
  }
  say(`done in ${Math.round((Date.now() - startedAt.getTime()) / 1000)} s`)
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    for (const c of children) c.kill('SIGKILL')
    rmSync(work, { recursive: true, force: true })
    process.exit(130)
  })
}

await main()
