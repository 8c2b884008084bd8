// `npm run bench`: one mode per run.
//
//   npm run bench                       the hot path next to raw node:http (about 4 minutes)
//   npm run bench -- --memory           resident memory over 1 million auths (about 1 minute)
//   npm run bench -- --profile [id]     a --cpu-prof of one scenario (default auth-verified)
//   npm run bench -- --scale            rollout, daily series and forecast at 1M and 10M users, on
//                                       SQLite and PostgreSQL (--backend sqlite|postgres, --sizes 1)
//   npm run bench -- --quick            one short round, for trying the harness
//   options: --rounds N --warmup S --duration S --only id,id --tool wrk|autocannon --no-micro --no-workers
import { BenchRun, say } from './lib/bench-run.js'
import { flag } from './lib/options.js'
import { cpuProfile } from './cpu-profile.js'
import { hotPath } from './hot-path.js'
import { memory } from './memory.js'
import { scale } from './scale.js'

const bench = new BenchRun()
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    bench.killAll()
    bench.removeWork()
    process.exit(130)
  })
}

try {
  if (flag('memory')) await memory(bench)
  else if (flag('profile')) await cpuProfile(bench)
  else if (flag('scale')) await scale(bench)
  else await hotPath(bench)
} finally {
  await bench.stopAll()
  bench.removeWork()
}
say(`done in ${bench.elapsedS()} s`)
