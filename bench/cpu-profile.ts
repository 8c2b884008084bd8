// `npm run bench -- --profile [id]`: one scenario under load with the server under --cpu-prof,
// and a text summary of where the time went.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { say, type BenchRun } from './lib/bench-run.js'
import { closedLoop, type LoadSpec } from './lib/load-tools.js'
import { argv, benchOptions, numberValue } from './lib/options.js'
import { ROOT, tail } from './lib/processes.js'
import { summarizeProfile, type CpuProfile } from './lib/profile.js'
import { accessTokens, meSpec, postSpec, verifiedBodies } from './lib/requests.js'
import { hmacHex, randomTag, seedMany, seedSmall } from './lib/seed.js'

const SCENARIOS = ['auth-verified', 'auth-3-secrets', 'auth-10k-apps', 'auth-anonymous', 'me'] as const

export async function cpuProfile(bench: BenchRun): Promise<void> {
  const opts = benchOptions()
  const next = argv[argv.indexOf('--profile') + 1]
  const id = next === undefined || next.startsWith('--') ? 'auth-verified' : next
  if (!(SCENARIOS as readonly string[]).includes(id)) throw new Error(`--profile takes ${SCENARIOS.join(', ')}, not ${id}`)
  const seconds = numberValue('seconds', 10)
  const dir = join(ROOT, 'bench/profiles')
  mkdirSync(dir, { recursive: true })
  const before = new Set(readdirSync(dir))
  const tag = randomTag()
  const many = id === 'auth-10k-apps' ? await seedMany(bench.work, opts.apps, opts.users) : null
  const small = many ? null : await seedSmall(bench.work)
  const verity = await bench.startVerity('verity-profile', { dataDir: (many ?? small)!.dataDir }, { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`] })
  let spec: LoadSpec
  if (many) spec = postSpec(id, verity.port, many.apps.map((a, i) => JSON.stringify({ app_id: a.appId, platform: 'ios', user_id: `u${i}`, user_hash: hmacHex(a.secret, `u${i}`) })))
  else if (id === 'auth-verified') spec = postSpec(id, verity.port, verifiedBodies(small!.appId, 'ios', small!.secrets.ios, opts.users, tag))
  else if (id === 'auth-3-secrets') spec = postSpec(id, verity.port, verifiedBodies(small!.appId, 'web', small!.webLastTried, opts.users, tag))
  else if (id === 'auth-anonymous') spec = postSpec(id, verity.port, [JSON.stringify({ app_id: small!.appId, platform: 'ios' })])
  else spec = meSpec(id, verity.port, await accessTokens(verity.port, verifiedBodies(small!.appId, 'ios', small!.secrets.ios, 100, tag), 100))
  const r = await closedLoop(spec, { warmupS: 0, durationS: seconds, connections: opts.connections, workDir: bench.work, tool: opts.tool })
  say(`${id} under --cpu-prof: ${Math.round(r.rps)} req/s (profiling slows it down)`)
  await bench.stopAll()
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile') && !before.has(f))
  if (!file) throw new Error(`no profile was written to ${dir}; see ${tail(verity.proc.logFile)}`)
  const text = summarizeProfile(JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile)
  const out = join(dir, file.replace('.cpuprofile', '.txt'))
  writeFileSync(out, `${id}, ${Math.round(r.rps)} req/s under the profiler\n\n${text}`)
  process.stdout.write(`${text}\nprofile: ${join('bench/profiles', file)} (open in Chrome DevTools), summary: ${out}\n`)
}
