// `npm run bench -- --scale`: rollout, daily series and forecast latency, auth throughput with
// and without an admin polling the rollout every second, the server's longest event-loop stall and
// the database size, at 1 and 10 million users, on SQLite and on PostgreSQL (the test suite's
// embedded PostgreSQL). The users are added in steps (1M, then 9M more) by the bulk loader, which
// writes what the statistics flush would, to both databases at once.
//
//   --backend sqlite|postgres   one backend only
//   --sizes 1,10                sizes in millions of users (e.g. --sizes 1 for a quick run, 0.1 to try it)
//   --auth-seconds 15           auth alone and auth polled, each (in 3 alternating runs)
//   --server-profile DIR        each server writes a --cpu-prof into DIR (to find what stalls it)
import { statSync } from 'node:fs'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { machine, say, serverErrors, fetchJson, type BenchRun, type Server } from './lib/bench-run.js'
import { closedLoop, WRK } from './lib/load-tools.js'
import { longestStalls, startStallWatch, type Stalls } from './lib/loop-stall.js'
import { commandLine, numberValue, value } from './lib/options.js'
import { sleep } from './lib/processes.js'
import { postSpec, precheck, expect200, verifiedBodies } from './lib/requests.js'
import { scaleMarkdown, type Latency, type ScaleRow } from './lib/scale-report.js'
import { scaleUserOrder, seedStatisticsInWorker } from './lib/seed-statistics.js'
import { openData, randomTag, type DataLocation } from './lib/seed.js'
import { quantile } from './lib/stats.js'

type Backend = 'sqlite' | 'postgres'

/** Each latency: up to this many requests, or as many as fit in LATENCY_BUDGET_MS (at least 3). */
const LATENCY_SAMPLES = 30
const LATENCY_BUDGET_MS = 20_000
/** Auth alone, then polled, this many times; each run gets its share of --auth-seconds. */
const AUTH_PAIRS = 3

interface Target {
  readonly location: DataLocation
  readonly appId: string
  readonly webSecretId: string
  readonly iosSecret: string
  size(): Promise<{ bytes: number; detail: string }>
  dispose(): Promise<void>
}

async function createApp(location: DataLocation): Promise<{ appId: string; webSecretId: string; iosSecret: string }> {
  const { data, admin } = await openData(location)
  try {
    const { app, secrets } = await admin.createApp({ name: 'Scale app', environment: 'production' }, 'bench')
    return { appId: app.id, webSecretId: secrets.web.id, iosSecret: secrets.ios.value }
  } finally {
    await data.close()
  }
}

async function openTarget(backend: Backend, bench: BenchRun): Promise<Target> {
  if (backend === 'sqlite') {
    const dataDir = join(bench.work, 'scale-sqlite')
    const location: DataLocation = { dataDir }
    const app = await createApp(location)
    const fileSize = (name: string) => {
      try {
        return statSync(join(dataDir, name)).size
      } catch {
        return 0
      }
    }
    return {
      location,
      ...app,
      size: async () => {
        const db = fileSize('verity.db')
        const wal = fileSize('verity.db-wal')
        return { bytes: db + wal, detail: `verity.db ${Math.round(db / 1048576)} MiB + WAL ${Math.round(wal / 1048576)} MiB` }
      },
      dispose: async () => {},
    }
  }
  const { startEmbeddedPostgres, createTestDatabase } = await import('../packages/server/test/support/embedded-postgres.js')
  const postgres = await startEmbeddedPostgres()
  try {
    const url = await createTestDatabase(postgres.adminUrl)
    const location: DataLocation = { databaseUrl: url, masterKeyHex: randomBytes(32).toString('hex') }
    const app = await createApp(location)
    return {
      location,
      ...app,
      size: async () => {
        const client = new pg.Client({ connectionString: url })
        await client.connect()
        try {
          const { rows } = await client.query<{ bytes: string }>('select pg_database_size(current_database()) as bytes')
          return { bytes: Number(rows[0]!.bytes), detail: 'pg_database_size' }
        } finally {
          await client.end()
        }
      },
      dispose: () => postgres.destroy(),
    }
  } catch (error) {
    await postgres.destroy()
    throw error
  }
}

/** Sequential requests of one admin: p50 and p99 of their latency. */
async function latency(port: number, adminKey: string, method: string, path: string, body?: string): Promise<Latency> {
  const times: number[] = []
  const started = performance.now()
  let status = 200
  while (times.length < LATENCY_SAMPLES && (times.length < 3 || performance.now() - started < LATENCY_BUDGET_MS)) {
    const t = performance.now()
    const res = await fetchJson(port, method, path, { token: adminKey, body })
    times.push(performance.now() - t)
    if (res.status !== 200) {
      status = res.status
      break
    }
  }
  return { samples: times.length, p50_ms: status === 200 ? quantile(times, 0.5) : null, p99_ms: status === 200 ? quantile(times, 0.99) : null, status }
}

/** Asks for the rollout every second until stopped; each request starts a second after the last one started or ended. */
function pollRollout(port: number, adminKey: string, path: string): { stop(): Promise<number> } {
  let stopped = false
  let polls = 0
  const loop = (async () => {
    while (!stopped) {
      const started = Date.now()
      const res = await fetchJson(port, 'GET', path, { token: adminKey })
      if (res.status !== 200) throw new Error(`polling the rollout: ${res.status} ${JSON.stringify(res.body)}`)
      polls++
      await sleep(Math.max(0, 1000 - (Date.now() - started)))
    }
  })()
  return {
    stop: async () => {
      stopped = true
      await loop
      return polls
    },
  }
}

/** --server-profile DIR: a CPU profile of each server, sampled every 0.5 ms to see short stalls. */
function profileArgs(): string[] {
  const dir = value('server-profile')
  return dir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=500']
}

async function measure(bench: BenchRun, backend: Backend, target: Target, users: number, seedS: number, authSeconds: number): Promise<ScaleRow> {
  const t = performance.now()
  const server: Server = await bench.startVerity(`verity-scale-${backend}-${users}`, target.location, { nodeArgs: profileArgs() })
  const startMs = performance.now() - t
  try {
    const key = bench.adminKey
    const base = `/admin/v1/apps/${target.appId}/platforms/web`
    await startStallWatch(server.port)
    const rollout = await latency(server.port, key, 'GET', `${base}/rollout`)
    const daily = await latency(server.port, key, 'GET', `${base}/rollout/daily`)
    const forecast = await latency(server.port, key, 'PATCH', base, JSON.stringify({ enforced: false }))
    const stallLatency = await longestStalls(server.port)
    say(`  ${backend} ${users.toLocaleString('en')} users: rollout p50 ${rollout.p50_ms?.toFixed(1)} ms p99 ${rollout.p99_ms?.toFixed(1)} ms; daily ${daily.status === 200 ? `p50 ${daily.p50_ms?.toFixed(1)} ms` : `answers ${daily.status}`}; forecast p50 ${forecast.p50_ms?.toFixed(1)} ms`)

    const spec = postSpec(`scale-auth-${backend}`, server.port, verifiedBodies(target.appId, 'ios', target.iosSecret, 1_000, randomTag()))
    await precheck('scale-auth', spec, expect200((b) => b.user?.verified === true, 'a verified user'))
    // Alone and polled alternate, AUTH_PAIRS times: on a shared machine, the speed drifts between
    // two long runs more than polling changes it. The ratio is the median of the pairs' ratios.
    const loop = { warmupS: 1, durationS: authSeconds / AUTH_PAIRS, connections: 10, workDir: bench.work, tool: WRK ? ('wrk' as const) : ('autocannon' as const) }
    const pairs: Array<{ alone: number; polled: number }> = []
    let polls = 0
    let stallAlone: Stalls = { loopMs: null, storageMs: null }
    let stallPolled: Stalls = { loopMs: null, storageMs: null }
    const max = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.max(a, b))
    const worst = (a: Stalls, b: Stalls): Stalls => ({ loopMs: max(a.loopMs, b.loopMs), storageMs: max(a.storageMs, b.storageMs) })
    for (let pair = 0; pair < AUTH_PAIRS; pair++) {
      const alone = await closedLoop(spec, loop)
      stallAlone = worst(stallAlone, await longestStalls(server.port))
      const poller = pollRollout(server.port, key, `${base}/rollout`)
      const polled = await closedLoop(spec, loop)
      polls += await poller.stop()
      stallPolled = worst(stallPolled, await longestStalls(server.port))
      pairs.push({ alone: alone.rps, polled: polled.rps })
    }
    const median = (values: number[]) => quantile(values, 0.5) ?? 0
    const alone = { rps: median(pairs.map((p) => p.alone)) }
    const polled = { rps: median(pairs.map((p) => p.polled)) }
    const ratio = median(pairs.map((p) => p.polled / p.alone))
    const overall = worst(worst(stallLatency, stallAlone), stallPolled)
    const storage = overall.storageMs === null ? '' : `; longest SQLite call ${overall.storageMs.toFixed(1)} ms`
    say(`  auth alone ${Math.round(alone.rps)} req/s, while the rollout is polled (${polls} polls) ${Math.round(polled.rps)} req/s: ratio ${ratio.toFixed(2)} (median of ${AUTH_PAIRS} pairs: ${pairs.map((p) => (p.polled / p.alone).toFixed(2)).join(', ')}); longest stall ${stallPolled.loopMs?.toFixed(1)} ms polled, ${overall.loopMs?.toFixed(1)} ms overall${storage}`)
    const errors = serverErrors(server)
    await bench.stop(server)
    const size = await target.size()
    return {
      backend,
      users,
      seed_s: seedS,
      server_start_ms: Math.round(startMs),
      rollout,
      daily,
      forecast,
      auth_rps_alone: alone.rps,
      auth_rps_polled: polled.rps,
      auth_ratio: ratio,
      stall_polled_ms: stallPolled.loopMs,
      stall_max_ms: overall.loopMs,
      storage_call_max_ms: overall.storageMs,
      db_bytes: size.bytes,
      db_detail: size.detail,
      server_errors: errors,
    }
  } finally {
    await bench.stop(server)
  }
}

export async function scale(bench: BenchRun): Promise<void> {
  const backendOption = value('backend')
  if (backendOption !== undefined && backendOption !== 'sqlite' && backendOption !== 'postgres') throw new Error(`--backend takes sqlite or postgres, not ${backendOption}`)
  const backends: Backend[] = backendOption ? [backendOption] : ['sqlite', 'postgres']
  const sizes = (value('sizes') ?? '1,10').split(',').map((s) => Math.round(Number(s) * 1e6))
  if (sizes.some((n) => !Number.isFinite(n) || n <= 0)) throw new Error(`--sizes takes millions of users, e.g. 1,10, not ${value('sizes')}`)
  sizes.sort((a, b) => a - b)
  const authSeconds = numberValue('auth-seconds', 15)
  const info = machine(WRK ? 'wrk' : 'autocannon')
  say(`scale: ${backends.join(' and ')}, ${sizes.map((n) => n.toLocaleString('en')).join(' then ')} users; ${info.cores} cores, load average ${info.load_average_at_start[0]}`)

  const rows: ScaleRow[] = []
  const targets: Target[] = []
  try {
    for (const backend of backends) targets.push(await openTarget(backend, bench))
    let seeded = 0
    for (const users of sizes) {
      // The databases are written at the same time, each from its own worker thread, and nothing is
      // measured meanwhile: SQLite's loader keeps its thread busy, PostgreSQL's mostly its own
      // server process, so both take little longer than the slower one alone.
      const from = seeded
      const ordering = performance.now()
      const order = await scaleUserOrder(from, users - from)
      const orderS = (performance.now() - ordering) / 1000
      say(`  ${(users - from).toLocaleString('en')} users put in key order in ${orderS.toFixed(1)} s`)
      const seedSeconds = await Promise.all(
        backends.map(async (backend, i) => {
          const target = targets[i]!
          let last = 0
          const job = { location: target.location, target: { appId: target.appId, platform: 'web' as const, secretId: target.webSecretId }, from, order }
          const seedS = await seedStatisticsInWorker(job, (done) => {
            if (done - last >= 1_000_000) {
              last = done
              say(`  ${backend}: ${(from + done).toLocaleString('en')} users written`)
            }
          })
          say(`  ${backend}: ${users.toLocaleString('en')} users (${(users - from).toLocaleString('en')} written in ${seedS.toFixed(1)} s)`)
          // The key order is computed once for both databases; each one's seed time includes it.
          return orderS + seedS
        }),
      )
      seeded = users
      // The seeds leave gigabytes for the kernel to write back; a server measured meanwhile waits
      // behind them on every commit that syncs. A server that has run for a while has no such backlog.
      const flushing = performance.now()
      spawnSync('sync')
      say(`  the seeds' writes reached the disk (sync) in ${((performance.now() - flushing) / 1000).toFixed(1)} s`)
      for (const [i, backend] of backends.entries()) rows.push(await measure(bench, backend, targets[i]!, users, seedSeconds[i]!, authSeconds))
    }
  } finally {
    for (const target of targets) await target.dispose()
  }
  const report = { date: bench.startedAt.toISOString(), command: commandLine(), machine: info, elapsed_s: bench.elapsedS(), auth_seconds: authSeconds, rows }
  const md = scaleMarkdown(report)
  process.stdout.write(`\n${md}\n`)
  bench.writeReport(bench.reportName('-scale'), report, `${md}\n`)
}
