// The promise "no dependencies" is checked on what would be published: package.json and the
// compiled output. The build goes to a temporary folder so that this test never races a
// `tsc -b` over the real dist/.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..')
const packageJson = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'))
let outDir = ''

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
}

/**
 * Every module specifier in a JavaScript or declaration file: static, side-effect and dynamic.
 * Comments go first, since the TSDoc examples import '@verity/node' as a user would.
 */
function specifiers(file: string): string[] {
  const source = file.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '')
  const patterns = [
    /\b(?:import|export)\b[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ]
  return patterns.flatMap((pattern) => [...source.matchAll(pattern)].map((match) => match[1]!))
}

beforeAll(() => {
  outDir = mkdtempSync(join(tmpdir(), 'verity-node-build-'))
  const typescript = dirname(createRequire(import.meta.url).resolve('typescript/package.json'))
  const args = ['-p', join(packageDir, 'tsconfig.json'), '--outDir', outDir]
  args.push('--tsBuildInfoFile', join(outDir, '.tsbuildinfo'))
  execFileSync(process.execPath, [join(typescript, 'bin', 'tsc'), ...args], { stdio: 'pipe' })
})

afterAll(() => {
  if (outDir) rmSync(outDir, { recursive: true, force: true })
})

describe('the built @verity/node package', () => {
  it('declares no dependencies of any kind', () => {
    const fields = [
      'dependencies',
      'peerDependencies',
      'optionalDependencies',
      'bundleDependencies',
      'bundledDependencies',
    ]
    for (const field of fields) expect(packageJson, field).not.toHaveProperty(field)
  })

  it('imports nothing but node: built-ins and its own files', () => {
    const files = filesUnder(outDir).filter((file) => /\.(?:js|d\.ts)$/.test(file))
    expect(files.map((file) => relative(outDir, file))).toEqual(
      expect.arrayContaining(['index.js', 'index.d.ts', 'user-hash.js', 'sign-identity-token.js']),
    )
    const found = files.flatMap((file) =>
      specifiers(readFileSync(file, 'utf8')).map((name) => `${relative(outDir, file)}: ${name}`),
    )
    expect(found.some((line) => line.endsWith(': node:crypto'))).toBe(true)
    const foreign = found.filter((line) => !/: (?:node:|\.\.?\/)/.test(line))
    expect(foreign).toEqual([])
  })

  it('ships no test files', () => {
    expect(filesUnder(outDir).filter((file) => file.includes('.test.'))).toEqual([])
  })

  it('exports userHash and signIdentityToken from the entry point package.json names', async () => {
    const entry = packageJson.exports['.'].default as string
    expect(entry).toBe('./dist/index.js')
    const built = await import(pathToFileURL(join(outDir, relative('dist', entry))).href)
    expect(Object.keys(built).sort()).toEqual(['signIdentityToken', 'userHash'])
    expect(built.userHash('Jefe', { userId: 'what do ya want for nothing?' })).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    )
  })

  it('publishes dist and the README', () => {
    expect(packageJson.files).toEqual(expect.arrayContaining(['dist', 'README.md']))
    expect(packageJson.type).toBe('module')
    expect(packageJson.sideEffects).toBe(false)
  })
})
