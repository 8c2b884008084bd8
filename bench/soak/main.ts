// `npm run soak`: Verity under a realistic mix for a bounded time, at 80% of the maximum rate
// measured at the start of the same run. Fails (exit 1) on any 5xx, any answer the mix does not
// expect, a live message lost, or RSS growth over 10% after the first minute.
//
//   npm run soak                          10 minutes on SQLite
//   npm run soak -- --minutes 2           a shorter run
//   npm run soak -- --backend postgres    on the embedded PostgreSQL of the test suite
//   options: --streams N (150)  --rate N (fixed calls/s, no measuring)  --cpu-prof (server profile
//            in bench/profiles/)  --concurrency N (64, while measuring)  --keep-log  --no-save
import { spawnSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { availableParallelism, cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { closedLoop, openLoop, Recorder } from './driver.js'
import { HttpClient } from './http-client.js'
import { Mix } from './mix.js'
import { SessionPool } from './population.js'
import { markdown, rssGrowth, rssOfMinute, verdict, type SoakResult } from './report.js'
import { createSoakApp } from './seed.js'
import { ROOT, startServer, type Backend } from './server-process.js'

/** How often the load generator samples its own event loop. */
const OWN_SAMPLE_MS = 10
import { LiveStreams } from './streams.js'

interface Options {
  readonly minutes: number
  readonly backend: Backend
  readonly streams: number
  readonly rate: number | null
  readonly concurrency: number
  readonly cpuProfile: boolean
  readonly save: boolean
  readonly keepLog: boolean
}

const LOAD = 0.8
// The maximum is what the server sustains, background work included: the statistics flush runs
// behind the requests, and a 20-s burst on an empty database measured 2.3 times what the server
// then kept up with. A minute after 30 s of warm-up pays for the flush in its steady state.
const MEASURE_WARM_MS = 30_000
const MEASURE_MS = 60_000
const MAX_IN_FLIGHT = 512

function parseOptions(argv: readonly string[]): Options {
  const value = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`)
    return i >= 0 ? argv[i + 1] : undefined
  }
  const number = (name: string, fallback: number, min: number): number => {
    const raw = value(name)
    if (raw === undefined) return fallback
    const n = Number(raw)
    if (!Number.isFinite(n) || n < min) throw new Error(`--${name} must be a number of at least ${min} (got ${raw})`)
    return n
  }
  const backend = value('backend') ?? 'sqlite'
  if (backend !== 'sqlite' && backend !== 'postgres') throw new Error(`--backend is sqlite or postgres (got ${backend})`)
  return {
    minutes: Math.floor(number('minutes', 10, 1)),
    backend,
    streams: Math.floor(number('streams', 150, 0)),
    rate: value('rate') === undefined ? null : number('rate', 0, 1),
    concurrency: Math.floor(number('concurrency', 64, 1)),
    cpuProfile: argv.includes('--cpu-prof'),
    save: !argv.includes('--no-save'),
    keepLog: argv.includes('--keep-log'),
  }
}

const say = (text: string): void => void process.stderr.write(`${text}\n`)

function machine(): SoakResult['machine'] {
  const git = (args: string[]) => spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' }).stdout?.trim() ?? ''
  const commit = git(['rev-parse', '--short', 'HEAD'])
  const dirty = git(['status', '--porcelain', '--', 'packages']) !== ''
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
    node: process.version,
    loadAverageAtStart: loadavg()[0] ?? 0,
    commit: commit ? `${commit}${dirty ? ' + uncommitted changes in packages/' : ''}` : 'unknown',
  }
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2))
  const startedAt = new Date()
  const info = machine()
  const profileDir = options.cpuProfile ? join(ROOT, 'bench/profiles') : undefined
  if (profileDir) mkdirSync(profileDir, { recursive: true })
  say(`soak: ${options.backend}, ${options.minutes} min; ${info.cpu}, ${info.cores} cores, Node ${info.node}, load average ${info.loadAverageAtStart.toFixed(2)}`)
  const server = await startServer({ backend: options.backend, cpuProfileDir: profileDir, keepLog: options.keepLog })
  if (options.keepLog) say(`server log: ${server.logFile}`)
  const client = new HttpClient(server.url, MAX_IN_FLIGHT)
  const streams = new LiveStreams(server.url)
  const rssSamples: number[][] = []
  const loopDelay: Array<{ server: number; loadGenerator: number }> = []
  let sampler: NodeJS.Timeout | null = null
  try {
    const app = await createSoakApp(client, server.adminKey)
    const pool = new SessionPool()
    const mix = new Mix(client, app, pool, streams)
    const setup = new Recorder()
    // Live streams record into the setup's minutes, then into the soak's.
    let streamRecorder = setup
    await streams.start(options.streams, mix, (outcome, ms) => streamRecorder.record(outcome, ms))
    say(`${options.streams} live streams open`)

    let maxRate: number | null = null
    let rate = options.rate ?? 0
    if (options.rate === null) {
      maxRate = await closedLoop(() => mix.next(), setup, options.concurrency, MEASURE_WARM_MS, MEASURE_MS)
      rate = Math.round(maxRate * LOAD)
      say(`maximum rate of the mix: ${Math.round(maxRate)} calls/s; the soak runs at ${rate} calls/s`)
    }

    const soakStart = performance.now()
    const recorder = new Recorder(soakStart)
    streamRecorder = recorder
    // Who stalls, when calls are slow: the server's event loop (its own metric, since the previous
    // scrape) or the load generator's.
    const ownDelay = monitorEventLoopDelay({ resolution: OWN_SAMPLE_MS })
    ownDelay.enable()
    let ticks = 0
    sampler = setInterval(() => {
      const minute = Math.floor((performance.now() - soakStart) / 60_000)
      if (minute >= options.minutes) return
      const kib = server.rssKiB()
      if (kib !== null) (rssSamples[minute] ??= []).push(kib)
      loopDelay[minute] ??= { server: 0, loadGenerator: 0 }
      // The histogram counts the sampling interval too: lateness is what exceeds it.
      loopDelay[minute].loadGenerator = Math.max(loopDelay[minute].loadGenerator, Math.max(0, ownDelay.max / 1e6 - OWN_SAMPLE_MS))
      ownDelay.reset()
      if (++ticks % 5 === 0) {
        void serverLoopDelayMax(server.url).then((ms) => {
          if (ms !== null) loopDelay[minute]!.server = Math.max(loopDelay[minute]!.server, ms)
        })
      }
    }, 1_000)
    let reported = 0
    const { maxBacklog } = await openLoop(() => mix.next(), recorder, rate, options.minutes * 60_000, MAX_IN_FLIGHT, (elapsed) => {
      const minute = Math.floor(elapsed / 60_000)
      if (minute > reported) {
        const stats = recorder.minutes[minute - 1]
        const rss = rssOfMinute(rssSamples[minute - 1] ?? [])
        say(`minute ${minute}: ${stats?.requests ?? 0} calls, p99 ${stats?.latency.quantile(0.99).toFixed(1)} ms, unexpected ${stats?.unexpected ?? 0}, RSS ${rss?.median.toFixed(0)} MiB`)
        reported = minute
      }
    })
    if (maxBacklog > rate) say(`note: up to ${maxBacklog} calls waited for a free connection (the server fell behind)`)
    clearInterval(sampler)
    const streamSummary = await streams.stop(3_000)
    client.close()
    const exitCode = await server.stop()
    const serverErrors = server.errorLines()
    if (exitCode !== 0) serverErrors.push(`verity exited with ${exitCode} on SIGTERM`)

    const rssPerMinute = Array.from({ length: options.minutes }, (_, i) => rssOfMinute(rssSamples[i] ?? []))
    const partial: Omit<SoakResult, 'failures'> = {
      date: startedAt.toISOString(),
      machine: info,
      backend: options.backend,
      minutes: options.minutes,
      maxRate,
      rate,
      settings: server.settings,
      perMinute: recorder.minutes.slice(0, options.minutes).map((m, i) => ({ ...m, rssMiB: rssPerMinute[i] ?? null, loopDelayMs: loopDelay[i] ?? null })),
      outcomes: [...setup.outcomes.values(), ...recorder.outcomes.values()].filter((o) => (o.status !== 200 && o.status !== 201) || !o.expected).reduce(mergeOutcomes, []),
      perOp: recorder.perOp,
      streams: streamSummary,
      rssGrowth: rssGrowth(rssPerMinute),
      serverErrors,
    }
    const result: SoakResult = { ...partial, failures: verdict(partial) }
    const text = markdown(result)
    process.stdout.write(text)
    if (options.save) save(result, text, startedAt)
    return result.failures.length === 0 ? 0 : 1
  } finally {
    if (sampler) clearInterval(sampler)
    if (!server.exitedEarly()) await server.stop().catch(() => null)
  }
}

/** The server's longest event-loop delay since its previous scrape, in ms (GET /metrics). */
async function serverLoopDelayMax(url: URL): Promise<number | null> {
  try {
    const text = await (await fetch(new URL('/metrics', url))).text()
    const line = text.split('\n').find((l) => l.startsWith('verity_event_loop_delay_seconds{quantile="1"}'))
    return line ? Number(line.split(' ')[1]) * 1000 : null
  } catch {
    return null
  }
}

function mergeOutcomes(list: SoakResult['outcomes'][number][], o: SoakResult['outcomes'][number]): SoakResult['outcomes'][number][] {
  const same = list.find((x) => x.op === o.op && x.status === o.status && x.code === o.code && x.expected === o.expected)
  if (same) same.count += o.count
  else list.push({ ...o })
  return list
}

function save(result: SoakResult, text: string, startedAt: Date): void {
  const dir = join(ROOT, 'bench/results')
  mkdirSync(dir, { recursive: true })
  const d = startedAt.toISOString()
  const name = `${d.slice(0, 10)}-${d.slice(11, 13)}${d.slice(14, 16)}-soak-${result.backend}-${result.minutes}min`
  writeFileSync(join(dir, `${name}.md`), text)
  const json = { ...result, perMinute: result.perMinute.map((m) => ({ calls: m.requests, p50: m.latency.quantile(0.5), p99: m.latency.quantile(0.99), p999: m.latency.quantile(0.999), max: m.latency.max, unexpected: m.unexpected, serverErrors: m.serverErrors, rssMiB: m.rssMiB, loopDelayMs: m.loopDelayMs })), perOp: Object.fromEntries([...result.perOp].map(([op, h]) => [op, { calls: h.count, p50: h.quantile(0.5), p99: h.quantile(0.99), max: h.max }])) }
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(json, null, 2)}\n`)
  say(`\nreport: bench/results/${name}.md and .json`)
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    say(`soak failed to run: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
    process.exit(2)
  },
)
