// The deployment files as far as this machine can check them: systemd parses the unit, and the
// Dockerfile and compose file say what docs/deploying.md promises. scripts/check-dockerfile.mjs
// replays the image build itself (minutes, so not here).
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const read = (path: string) => readFileSync(join(root, path), 'utf8')

/** key=value lines of one section of a systemd unit. */
function unitSection(unit: string, section: string): Map<string, string> {
  const body = unit.split(/^\[/m).find((part) => part.startsWith(`${section}]`)) ?? ''
  const entries = body.split('\n').filter((line) => /^\w+=/.test(line)).map((line) => line.split(/=(.*)/s) as [string, string])
  return new Map(entries)
}

describe('deploy/verity.service', () => {
  const unit = read('deploy/verity.service')

  it('is accepted by systemd-analyze verify without a warning', () => {
    const output = execFileSync('systemd-analyze', ['verify', join(root, 'deploy/verity.service')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
    expect(output).toBe('')
  })

  it('runs unprivileged, hardened, and writes only its data folder', () => {
    const service = unitSection(unit, 'Service')
    expect(service.get('User')).toBe('verity')
    expect(service.get('NoNewPrivileges')).toBe('yes')
    expect(service.get('ProtectSystem')).toBe('strict')
    expect(service.get('ReadWritePaths')).toBe('/var/lib/verity')
    expect(service.get('Environment')).toBe('VERITY_DATA_DIR=/var/lib/verity')
    expect(service.get('CapabilityBoundingSet')).toBe('')
    // The server gives in-flight requests 20 s after SIGTERM; systemd must wait longer.
    expect(Number(service.get('TimeoutStopSec'))).toBeGreaterThan(20)
  })
})

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile')
  // Continuation lines joined, as Docker reads them.
  const stages = dockerfile.replace(/\\\n/g, ' ').split(/^FROM /m).slice(1)

  it('builds in one stage and runs from another with production dependencies only', () => {
    expect(stages).toHaveLength(2)
    expect(stages[0]).toMatch(/npm run build/)
    expect(stages[0]).toMatch(/npm prune --omit=dev/)
    expect(stages[1]).toMatch(/COPY --from=build/)
    expect(stages[1]).not.toMatch(/npm (ci|install)/)
  })

  it('runs as an unprivileged user, keeps data in a volume and checks /readyz', () => {
    const runtime = stages[1]!
    const user = /^USER (\S+)/m.exec(runtime)?.[1]
    expect(user).toBeDefined()
    expect(['root', '0']).not.toContain(user)
    expect(runtime).toMatch(/VERITY_DATA_DIR=\/var\/lib\/verity/)
    expect(runtime).toMatch(/^VOLUME \["\/var\/lib\/verity"\]/m)
    expect(runtime).toMatch(/^HEALTHCHECK .*\/readyz/m)
  })

  it('never sends local data, keys or installed modules to the build', () => {
    const ignored = read('.dockerignore').split('\n')
    for (const entry of ['**/node_modules', '**/dist', 'verity-data', '.git']) expect(ignored).toContain(entry)
  })
})

describe('compose.yaml', () => {
  const compose = read('compose.yaml')

  it('runs Verity on PostgreSQL with a required master key and password', () => {
    expect(compose).toMatch(/^ {2}db:\n {4}image: postgres:/m)
    expect(compose).toMatch(/^ {2}verity:\n {4}build: \./m)
    expect(compose).toMatch(/DATABASE_URL: postgres:\/\/verity:\$\{POSTGRES_PASSWORD\}@db:5432\/verity/)
    expect(compose).toMatch(/VERITY_MASTER_KEY: \$\{VERITY_MASTER_KEY:\?/)
    expect(compose).toMatch(/POSTGRES_PASSWORD: \$\{POSTGRES_PASSWORD:\?/)
  })

  it('publishes Verity on loopback only, for a proxy in front', () => {
    expect(compose).toMatch(/- "127\.0\.0\.1:8080:8080"/)
  })
})
