// What would be published: no dependencies, no Node built-ins, and a size budget. The build goes
// to a temporary folder so that this test never races a `tsc -b` over the real dist/.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { gzipSync } from 'node:zlib'

import { build } from 'esbuild'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { SDK_VERSION } from '../src/version.js'

/** Minified and gzipped, the whole SDK must stay under this. */
const BUDGET_GZIP_BYTES = 6 * 1024

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..')
const packageJson = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'))
let outDir = ''

const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))

/** The code without comments: the TSDoc examples may mention anything. */
const code = (source: string): string => source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '')

/** The size as the README's command measures it: esbuild --bundle --minify --format=esm | gzip -9. */
async function measure(): Promise<{ minified: number; gzipped: number; text: string }> {
  const result = await build({
    entryPoints: [join(packageDir, 'src', 'index.ts')],
    bundle: true,
    minify: true,
    format: 'esm',
    write: false,
    logLevel: 'silent',
  })
  const bytes = result.outputFiles[0]!.contents
  return { minified: bytes.length, gzipped: gzipSync(bytes, { level: 9 }).length, text: new TextDecoder().decode(bytes) }
}

beforeAll(() => {
  outDir = mkdtempSync(join(tmpdir(), 'verity-messenger-build-'))
  const typescript = dirname(createRequire(import.meta.url).resolve('typescript/package.json'))
  const args = ['-p', join(packageDir, 'tsconfig.json'), '--outDir', outDir, '--tsBuildInfoFile', join(outDir, '.tsbuildinfo')]
  execFileSync(process.execPath, [join(typescript, 'bin', 'tsc'), ...args], { stdio: 'pipe' })
})

afterAll(() => {
  if (outDir) rmSync(outDir, { recursive: true, force: true })
})

describe('the built @verity/messenger package', () => {
  it('declares no dependencies of any kind', () => {
    for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies', 'bundleDependencies', 'bundledDependencies']) {
      expect(packageJson, field).not.toHaveProperty(field)
    }
  })

  it('imports only its own files, and uses no Node built-in (node:, Buffer, process, require)', () => {
    const files = filesUnder(outDir).filter((file) => /\.(?:js|d\.ts)$/.test(file))
    expect(files.map((file) => relative(outDir, file))).toEqual(expect.arrayContaining(['index.js', 'index.d.ts']))
    expect(files.filter((file) => file.includes('.test.'))).toEqual([])
    for (const file of files) {
      const source = code(readFileSync(file, 'utf8'))
      const specifiers = [...source.matchAll(/\b(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => m[1]!)
      expect(specifiers.filter((name) => !name.startsWith('./')), relative(outDir, file)).toEqual([])
      expect(source, relative(outDir, file)).not.toMatch(/node:|\bBuffer\b|\bprocess\b|\brequire\s*\(|\b__dirname\b|\bglobal\./)
    }
  })

  it('exports createMessenger, VerityError and the error codes from the entry point that package.json names', async () => {
    expect(packageJson.exports['.']).toEqual({ types: './dist/index.d.ts', default: './dist/index.js' })
    const built = await import(pathToFileURL(join(outDir, 'index.js')).href)
    expect(Object.keys(built).sort()).toEqual(['VERITY_ERROR_CODES', 'VerityError', 'createMessenger'])
    expect(packageJson.type).toBe('module')
    expect(packageJson.sideEffects).toBe(false)
    expect(packageJson.files).toEqual(expect.arrayContaining(['dist', 'README.md']))
  })

  it('sends the package version as sdk_version', () => {
    expect(SDK_VERSION).toBe(packageJson.version)
  })

  it(`stays under ${BUDGET_GZIP_BYTES} bytes minified and gzipped, with no Node built-in in the bundle`, async () => {
    const { gzipped, text } = await measure()
    expect(gzipped).toBeLessThanOrEqual(BUDGET_GZIP_BYTES)
    expect(text).not.toMatch(/node:|\bBuffer\b|\bprocess\b|\brequire\(/)
  })

  it('states its measured size in the README (within 10%)', async () => {
    const { gzipped } = await measure()
    const readme = readFileSync(join(packageDir, 'README.md'), 'utf8')
    const stated = /([\d,]+) bytes minified and gzipped/.exec(readme)
    expect(stated, 'README must say "N bytes minified and gzipped"').not.toBeNull()
    const bytes = Number(stated![1]!.replace(/,/g, ''))
    expect(Math.abs(bytes - gzipped) / gzipped).toBeLessThan(0.1)
  })
})
