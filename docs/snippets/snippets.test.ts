// Runs every user-hash snippet in this folder against vectors.json with the language's own
// runtime. A runtime that is missing here is not a failure, but it is reported: by a skipped test
// whose note says why, and by the table printed at the end. At least MIN_LANGUAGES must really
// run, so that a broken install (scripts/install-snippet-runtimes.sh) fails CI.
import { execFile, spawnSync } from 'node:child_process'
import { accessSync, constants, cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const MIN_LANGUAGES = 8
const here = dirname(fileURLToPath(import.meta.url))
const run = promisify(execFile)

interface Vector {
  name: string
  secret: string
  identifier: string
  user_hash: string
  rfc4231?: string
  rfc4231_prefix?: string
}
const vectors = (JSON.parse(readFileSync(join(here, 'vectors.json'), 'utf8')) as { vectors: Vector[] }).vectors

// Arguments carry non-ASCII text: give every runtime a UTF-8 locale, whatever the caller has
// (the JVM and the BEAM decode argv with the locale's charset).
const env: NodeJS.ProcessEnv = { ...process.env, LC_ALL: 'C.UTF-8', LANG: 'C.UTF-8' }

function onPath(command: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue
    const candidate = join(dir, command)
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // not in this directory
    }
  }
  return null
}

/** True when the command exits 0 (used to check that a library is there, not just the binary). */
function succeeds(command: string, args: string[], input?: string): boolean {
  const result = spawnSync(command, args, { env, input, encoding: 'utf8', timeout: 20_000 })
  return result.status === 0
}

/** The commands missing from PATH, as a reason, or null. */
function needs(...commands: string[]): string | null {
  const absent = commands.filter((c) => onPath(c) === null)
  return absent.length === 0 ? null : `${absent.join(', ')} not found (scripts/install-snippet-runtimes.sh installs it)`
}

const DEBIAN_CRATES = '/usr/share/cargo/registry'
function debianCrate(prefix: string): boolean {
  return existsSync(DEBIAN_CRATES) && readdirSync(DEBIAN_CRATES).some((d) => d.startsWith(prefix))
}

interface Snippet {
  language: string
  file: string
  /** Set for runtimes that Debian does not package at all: the test is declared with it.skipIf. */
  notInDebian?: string
  /** Why the snippet cannot run on this machine, or null when it can. */
  unavailable: () => string | null
  /** Builds once when needed (in `work`) and gives the command that the two arguments follow. */
  prepare: (work: string) => Promise<{ command: string[]; via?: string }>
  /** The command the docs give, when the test runs a faster equivalent: checked on one vector too. */
  documented?: string[]
}

const snippet = (file: string): string => join(here, file)

const snippets: Snippet[] = [
  {
    language: 'JavaScript (Node.js)',
    file: 'user_hash.mjs',
    unavailable: () => needs('node'),
    prepare: async () => ({ command: ['node', snippet('user_hash.mjs')] }),
  },
  {
    language: 'TypeScript (Web Crypto)',
    file: 'user_hash.ts',
    unavailable: () => (onPath('deno') !== null || onPath('node') !== null ? null : 'neither deno nor node found'),
    prepare: async (work) => {
      // Type-check it first (strict), with the project's TypeScript.
      const ts = (await import('typescript')).default
      const file = snippet('user_hash.ts')
      const program = ts.createProgram([file], {
        strict: true,
        noUncheckedIndexedAccess: true,
        noEmit: true,
        skipLibCheck: true,
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        target: ts.ScriptTarget.ES2022,
        types: ['node'],
      })
      const diagnostics = ts.getPreEmitDiagnostics(program)
      if (diagnostics.length > 0) {
        throw new Error(ts.formatDiagnostics(diagnostics, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => here, getNewLine: () => '\n' }))
      }
      if (onPath('deno') !== null) return { command: ['deno', 'run', '--quiet', file], via: 'deno' }
      // Node 20 cannot run .ts itself: strip the types, run the rest.
      const js = ts.transpileModule(readFileSync(file, 'utf8'), {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      }).outputText
      const out = join(work, 'user_hash_ts.mjs')
      writeFileSync(out, js)
      return { command: ['node', out], via: 'tsc --strict, then node (no deno here)' }
    },
  },
  {
    language: 'Python',
    file: 'user_hash.py',
    unavailable: () => needs('python3'),
    prepare: async () => ({ command: ['python3', snippet('user_hash.py')] }),
  },
  {
    language: 'Ruby',
    file: 'user_hash.rb',
    unavailable: () => needs('ruby') ?? (succeeds('ruby', ['-ropenssl', '-e', '']) ? null : "ruby's openssl library missing"),
    prepare: async () => ({ command: ['ruby', snippet('user_hash.rb')] }),
  },
  {
    language: 'PHP',
    file: 'user_hash.php',
    unavailable: () => needs('php'),
    prepare: async () => ({ command: ['php', snippet('user_hash.php')] }),
  },
  {
    language: 'Go',
    file: 'user_hash.go',
    unavailable: () => needs('go'),
    documented: ['go', 'run', snippet('user_hash.go')],
    prepare: async (work) => {
      const goEnv = process.env.HOME ? {} : { GOCACHE: join(work, 'go-cache'), GOPATH: join(work, 'go') }
      const out = join(work, 'user_hash_go')
      await run('go', ['build', '-o', out, snippet('user_hash.go')], { env: { ...env, ...goEnv }, cwd: work })
      return { command: [out], via: 'go build' }
    },
  },
  {
    language: 'Java',
    file: 'UserHash.java',
    unavailable: () => needs('javac', 'java'),
    documented: ['java', snippet('UserHash.java')],
    prepare: async (work) => {
      const dir = join(work, 'java')
      await run('javac', ['-d', dir, snippet('UserHash.java')], { env })
      return { command: ['java', '-cp', dir, 'UserHash'], via: 'javac' }
    },
  },
  {
    language: 'Kotlin',
    file: 'UserHash.kt',
    unavailable: () => needs('kotlinc', 'java'),
    prepare: async (work) => {
      const jar = join(work, 'user_hash_kt.jar')
      await run('kotlinc', [snippet('UserHash.kt'), '-include-runtime', '-d', jar], { env, timeout: 180_000 })
      return { command: ['java', '-jar', jar], via: 'kotlinc' }
    },
  },
  {
    language: 'C#',
    file: 'UserHash.cs',
    unavailable: () => needs('mcs', 'mono'),
    prepare: async (work) => {
      const exe = join(work, 'UserHash.exe')
      await run('mcs', ['-nologo', `-out:${exe}`, snippet('UserHash.cs')], { env })
      return { command: ['mono', exe], via: 'Mono mcs' }
    },
  },
  {
    language: 'Elixir',
    file: 'user_hash.exs',
    unavailable: () => needs('elixir') ?? (succeeds('elixir', ['-e', ':crypto.start()']) ? null : "Erlang's crypto application missing (erlang-crypto)"),
    prepare: async () => ({ command: ['elixir', snippet('user_hash.exs')] }),
  },
  {
    language: 'Rust',
    file: 'rust/src/main.rs',
    unavailable: () =>
      needs('cargo') ??
      (debianCrate('hmac-0.12') && debianCrate('sha2-0.10')
        ? null
        : `crates hmac 0.12 and sha2 0.10 not in ${DEBIAN_CRATES} (crates.io is out of reach here; Debian packages librust-hmac-dev librust-sha2-dev)`),
    prepare: async (work) => {
      // Build a copy (cargo writes Cargo.lock and target/ next to the manifest), offline, from
      // the crate sources Debian ships.
      const dir = join(work, 'rust')
      cpSync(join(here, 'rust'), dir, { recursive: true })
      await run(
        'cargo',
        [
          'build', '--quiet', '--offline',
          '--config', 'source.crates-io.replace-with="debian-packages"',
          '--config', `source.debian-packages.directory="${DEBIAN_CRATES}"`,
        ],
        { env: { ...env, CARGO_TARGET_DIR: join(dir, 'target') }, cwd: dir, timeout: 180_000 },
      )
      return { command: [join(dir, 'target', 'debug', 'user_hash')], via: 'cargo, Debian crates' }
    },
  },
  {
    language: 'Swift',
    file: 'UserHash.swift',
    notInDebian:
      'no Swift toolchain in Debian (its "swift" package is OpenStack Swift); CryptoKit is Apple-only and swift-crypto needs SwiftPM and its registry',
    // Runs where a Swift toolchain with CryptoKit is (macOS).
    unavailable: () =>
      process.platform === 'darwin' && onPath('swift') !== null ? null : 'no Swift toolchain with CryptoKit here',
    prepare: async (work) => {
      const exe = join(work, 'user_hash_swift')
      await run('swiftc', ['-O', '-o', exe, snippet('UserHash.swift')], { env, timeout: 180_000 })
      return { command: [exe], via: 'swiftc' }
    },
  },
  {
    language: 'Perl',
    file: 'user_hash.pl',
    unavailable: () => needs('perl') ?? (succeeds('perl', ['-MDigest::SHA', '-e', '1']) ? null : 'Digest::SHA missing'),
    prepare: async () => ({ command: ['perl', snippet('user_hash.pl')] }),
  },
  {
    language: 'Shell (openssl)',
    file: 'user_hash.sh',
    unavailable: () => needs('sh', 'openssl', 'sed'),
    prepare: async () => ({ command: ['sh', snippet('user_hash.sh')], via: `sh = ${onPath('sh') ?? 'sh'}` }),
  },
  {
    language: 'Lua',
    file: 'user_hash.lua',
    unavailable: () => {
      const lua = ['lua5.4', 'lua5.3', 'lua'].find((c) => onPath(c) !== null)
      if (lua === undefined) return needs('lua5.4')
      return succeeds(lua, ['-e', 'require("openssl.hmac")']) ? null : `luaossl missing for ${lua} (Debian: lua-luaossl)`
    },
    prepare: async () => {
      const lua = ['lua5.4', 'lua5.3', 'lua'].find((c) => onPath(c) !== null) ?? 'lua'
      return { command: [lua, snippet('user_hash.lua')], via: lua }
    },
  },
  {
    language: 'Tcl',
    file: 'user_hash.tcl',
    unavailable: () =>
      needs('tclsh') ?? (succeeds('tclsh', [], 'package require sha256\n') ? null : "tcllib's sha256 package missing (Debian: tcllib)"),
    prepare: async () => ({ command: ['tclsh', snippet('user_hash.tcl')] }),
  },
]

const ran: string[] = []
const notRun: string[] = []
const failed: string[] = []
let work = ''

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'verity-snippets-'))
})

afterAll(() => {
  if (work !== '') rmSync(work, { recursive: true, force: true })
  const lines = [
    '',
    `User-hash snippets against ${vectors.length} vectors:`,
    `  ran: ${ran.length} languages (${ran.join('; ')})`,
    `  not run: ${notRun.length}${notRun.length === 0 ? '' : ':'}`,
    ...notRun.map((line) => `    - ${line}`),
    ...(failed.length === 0 ? [] : [`  FAILED: ${failed.length} (${failed.join(', ')})`]),
    '',
  ]
  console.log(lines.join('\n'))
})

/** stdout with at most one trailing newline removed, or a readable error in its place. */
async function hashWith(command: string[], v: Vector): Promise<string> {
  const [bin, ...args] = command as [string, ...string[]]
  try {
    const { stdout } = await run(bin, [...args, v.secret, v.identifier], { env, timeout: 30_000, encoding: 'utf8' })
    return stdout.endsWith('\n') ? stdout.slice(0, -1) : stdout
  } catch (error) {
    const e = error as { code?: unknown; stderr?: string; message?: string }
    return `<failed: exit ${String(e.code)}: ${(e.stderr ?? e.message ?? '').trim().slice(0, 300)}>`
  }
}

describe('vectors.json', () => {
  it('is internally consistent (RFC 4231 values, lowercase hex)', () => {
    expect(vectors.length).toBeGreaterThanOrEqual(12)
    for (const v of vectors) {
      expect(v.user_hash, v.name).toMatch(/^[0-9a-f]{64}$/)
      if (v.rfc4231 !== undefined) expect(v.user_hash, v.name).toBe(v.rfc4231)
      if (v.rfc4231_prefix !== undefined) expect(v.user_hash.startsWith(v.rfc4231_prefix), v.name).toBe(true)
    }
  })
})

describe('docs/snippets.md', () => {
  it('shows every snippet exactly as the tested file', () => {
    const page = readFileSync(join(here, '..', 'snippets.md'), 'utf8')
    for (const file of [...snippets.map((s) => s.file), 'rust/Cargo.toml']) {
      expect(page.includes(readFileSync(join(here, file), 'utf8')), `${file} differs from its copy in docs/snippets.md`).toBe(true)
    }
  })
})

describe('user-hash snippets', () => {
  const options = { concurrent: true, timeout: 240_000 }
  for (const s of snippets) {
    const reason = s.unavailable()
    if (s.notInDebian !== undefined) {
      // Debian has no package for it: declared skipped, with the reason in the test's name.
      if (reason !== null) notRun.push(`${s.language}: ${s.notInDebian}`)
      it.skipIf(reason !== null)(
        reason === null ? `${s.language} (${s.file})` : `${s.language} (${s.file}): not run, ${s.notInDebian}`,
        options,
        async () => {
          await check(s)
        },
      )
      continue
    }
    // Installable from Debian: a missing runtime is skipped at run time, with the reason as the
    // skip note and in the closing table (the minimum below catches a broken install).
    it(`${s.language} (${s.file})`, options, async (ctx) => {
      if (reason !== null) {
        notRun.push(`${s.language}: ${reason}`)
        ctx.skip(`not run: ${reason}`)
      }
      await check(s)
    })
  }
})

async function check(s: Snippet): Promise<void> {
  const started = Date.now()
  try {
    const { command, via } = await s.prepare(work)
    const got: Record<string, string> = {}
    const want: Record<string, string> = {}
    for (const v of vectors) {
      got[v.name] = await hashWith(command, v)
      want[v.name] = v.user_hash
    }
    if (s.documented !== undefined) {
      const v = vectors.find((x) => x.name === 'emoji') ?? vectors[0]!
      const key = `${v.name}, as documented: ${s.documented.map((a) => a.replace(`${here}/`, '')).join(' ')}`
      got[key] = await hashWith(s.documented, v)
      want[key] = v.user_hash
    }
    expect(got, `${s.language}: stdout must be exactly the lowercase hex user_hash`).toEqual(want)
    ran.push(`${s.language}${via === undefined ? '' : ` via ${via}`}, ${((Date.now() - started) / 1000).toFixed(1)} s`)
  } catch (error) {
    failed.push(s.language)
    throw error
  }
}

describe('coverage', () => {
  it(`at least ${MIN_LANGUAGES} languages really ran`, () => {
    expect(ran.length, `ran: ${ran.join('; ')}; not run: ${notRun.join('; ')}`).toBeGreaterThanOrEqual(MIN_LANGUAGES)
  })
})
