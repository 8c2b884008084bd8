// The SDK packages as a user installs them today: `npm run pack:sdks` makes the tarballs, and a
// fresh project installs them without a registry and uses them.
import { execFileSync } from 'node:child_process'
import { createHmac } from 'node:crypto'
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
let work = ''
let packs = ''
let project = ''

function npm(args: string[], cwd: string): string {
  return execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false' } })
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'verity-sdk-packs-'))
  packs = join(work, 'packs')
  project = join(work, 'project')
  mkdirSync(packs)
  npm(['pack', '--workspace', 'packages/node', '--workspace', 'packages/messenger', '--pack-destination', packs], root)
  mkdirSync(project)
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'customer-app', private: true, type: 'module' }))
  npm(['install', '--offline', ...readdirSync(packs).map((file) => join(packs, file))], project)
}, 120_000)

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true })
})

describe('the SDK tarballs', () => {
  it('hold the compiled code, its types and the README, and no sources or tests', () => {
    for (const tarball of readdirSync(packs)) {
      const files = execFileSync('tar', ['-tzf', join(packs, tarball)], { encoding: 'utf8' }).trim().split('\n')
      expect(files).toContain('package/README.md')
      expect(files).toContain('package/dist/index.js')
      expect(files).toContain('package/dist/index.d.ts')
      expect(files.filter((file) => file.includes('/src/') || file.includes('.test.'))).toEqual([])
    }
  })

  it('@verity/node installs from its tarball and computes the hash Verity checks', () => {
    const script = "import { userHash } from '@verity/node'; console.log(userHash('vsk_test_secret', { userId: '42' }))"
    const printed = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: project, encoding: 'utf8' }).trim()
    expect(printed).toBe(createHmac('sha256', 'vsk_test_secret').update('42').digest('hex'))
  })

  it('@verity/messenger installs from its tarball and creates a messenger', () => {
    const script =
      "import { createMessenger, VerityError } from '@verity/messenger'; " +
      "const m = createMessenger({ baseUrl: 'http://127.0.0.1:1', appId: 'app_x', platform: 'web' }); " +
      "console.log(typeof m.login, typeof VerityError)"
    const printed = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: project, encoding: 'utf8' }).trim()
    expect(printed).toBe('function function')
  })

  it('installs no dependency beside the two packages', () => {
    const installed = readdirSync(join(project, 'node_modules')).filter((name) => !name.startsWith('.'))
    expect(installed).toEqual(['@verity'])
    expect(readdirSync(join(project, 'node_modules', '@verity')).sort()).toEqual(['messenger', 'node'])
  })
})
