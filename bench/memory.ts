// `npm run bench -- --memory`: resident memory after the first 10,000 verified auths and along
// the way to 1,000,000 (--total), over 100,000 users (--users).
import { machine, say, serverErrors, type BenchRun } from './lib/bench-run.js'
import { loader } from './lib/load-tools.js'
import { heapMiB } from './lib/loop-stall.js'
import { benchOptions, commandLine, numberValue } from './lib/options.js'
import { rssKiB, sleep } from './lib/processes.js'
import { postSpec, verifiedBodies } from './lib/requests.js'
import { randomTag, seedSmall } from './lib/seed.js'

interface Sample {
  readonly auths: number
  readonly rss_kib: number | null
  readonly heap_mib: number | null
  readonly rps?: number
}

export async function memory(bench: BenchRun): Promise<void> {
  const opts = benchOptions()
  const info = machine(opts.tool)
  const total = numberValue('total', 1_000_000)
  const users = numberValue('users', 100_000)
  say(`memory: ${total.toLocaleString('en')} verified auths over ${users.toLocaleString('en')} users`)
  const small = await seedSmall(bench.work)
  const bodies = verifiedBodies(small.appId, 'ios', small.secrets.ios, users, randomTag())
  const verity = await bench.startVerity('verity-memory', { dataDir: small.dataDir })
  const spec = postSpec('memory', verity.port, bodies)
  const rotate = spec.rotate!
  const samples: Sample[] = [{ auths: 0, rss_kib: rssKiB(verity.proc.pid), heap_mib: await heapMiB(verity.port) }]
  let done = 0
  const steps = [10_000, 100_000, 250_000, 500_000, 750_000, total].filter((n, i, a) => n <= total && a.indexOf(n) === i)
  const t = performance.now()
  for (const target of steps) {
    // A fixed count, closed loop; each chunk continues the rotation where the last one stopped.
    const offset = done % rotate.length
    const rotated = { ...spec, rotate: [...rotate.slice(offset), ...rotate.slice(0, offset)] }
    const r = await loader(rotated, { name: 'memory', amount: target - done, connections: opts.connections }, { workDir: bench.work })
    const non200 = Object.entries(r.statuses).filter(([k]) => k !== '200')
    if (non200.length || r.errors) throw new Error(`memory run: unexpected answers ${JSON.stringify(r.statuses)}, ${r.errors} errors`)
    done = target
    await sleep(1500) // let the statistics buffer flush
    const sample: Sample = { auths: done, rss_kib: rssKiB(verity.proc.pid), heap_mib: await heapMiB(verity.port), rps: Math.round(r.rate_achieved) }
    samples.push(sample)
    say(`  after ${done.toLocaleString('en').padStart(9)} auths: RSS ${((sample.rss_kib ?? 0) / 1024).toFixed(1)} MiB, heap ${sample.heap_mib} MiB (${Math.round(r.rate_achieved)} req/s)`)
  }
  const errors = serverErrors(verity)
  await bench.stopAll()
  const at10k = samples.find((s) => s.auths === 10_000)?.rss_kib
  const at100k = samples.find((s) => s.auths === 100_000)?.rss_kib
  const atEnd = samples.at(-1)!.rss_kib ?? 0
  const report = {
    date: bench.startedAt.toISOString(),
    command: commandLine(),
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
  const percent = (x: number | null) => (x === null ? 'n/a' : `${(x * 100).toFixed(1)}%`)
  const md = [
    `# Verity memory run, ${report.date.slice(0, 16).replace('T', ' ')} UTC`,
    '',
    `Machine: ${info.cpu}, ${info.cores} cores, Node ${info.node}; ${info.pinning}. Commit ${info.commit}.`,
    `Command: \`${report.command}\`. Verified auths (1 HMAC + token) over ${users.toLocaleString('en')} distinct users, ${opts.connections} connections, closed loop; RSS from /proc/<pid>/status 1.5 s after each step.`,
    '',
    '| auths | RSS MiB | V8 heap used MiB | req/s during the step |',
    '|---:|---:|---:|---:|',
    ...samples.map((s) => `| ${s.auths.toLocaleString('en')} | ${((s.rss_kib ?? 0) / 1024).toFixed(1)} | ${s.heap_mib ?? ''} | ${s.rps ?? ''} |`),
    '',
    `RSS growth from 10,000 to ${total.toLocaleString('en')} auths: **${percent(report.growth)}** (target: within 10%: ${report.met ? 'met' : 'NOT met'}); ` +
      `from 100,000 to ${total.toLocaleString('en')}: ${percent(report.growth_from_100k)}.`,
    errors.length ? `\nServer errors logged:\n\n${errors.map((e) => `    ${e}`).join('\n')}\n` : '',
  ].join('\n')
  process.stdout.write(`\n${md}\n`)
  bench.writeReport(bench.reportName('-memory'), report, `${md}\n`)
}
