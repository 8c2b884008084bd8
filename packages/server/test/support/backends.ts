import { freshPostgresDatabase } from './postgres-database.js'
import { startTestServer, type TestServer } from './test-server.js'

export type Backend = 'sqlite' | 'postgres'

const ALL: readonly Backend[] = ['sqlite', 'postgres']

/**
 * The storage backends every behaviour suite runs on. VERITY_TEST_BACKENDS (a comma-separated
 * list, e.g. `sqlite`) narrows it for a quick local run; npm test and CI run both.
 */
export const BACKENDS: readonly Backend[] = (() => {
  const wanted = process.env.VERITY_TEST_BACKENDS
  if (!wanted) return ALL
  const list = wanted.split(',').map((s) => s.trim())
  for (const name of list) if (!ALL.includes(name as Backend)) throw new Error(`VERITY_TEST_BACKENDS: unknown backend "${name}" (use ${ALL.join(', ')})`)
  return ALL.filter((b) => list.includes(b))
})()

/** Every instance on one database shares the master key (API.md). */
export const SHARED_MASTER_KEY = 'ab'.repeat(32)

/** The environment that points a server at a fresh, empty database of this backend. */
export async function backendEnv(backend: Backend): Promise<Record<string, string>> {
  if (backend === 'sqlite') return {}
  return { DATABASE_URL: await freshPostgresDatabase(), VERITY_MASTER_KEY: SHARED_MASTER_KEY }
}

/** A real server on a fresh database of this backend; `env` adds or overrides settings. */
export async function startBackendServer(
  backend: Backend,
  env: Record<string, string> = {},
  options?: Parameters<typeof startTestServer>[2],
): Promise<TestServer> {
  return startTestServer({ ...(await backendEnv(backend)), ...env }, undefined, options)
}

/**
 * A second server on the data of `server` (its SQLite folder, or its PostgreSQL database with the
 * same master key), as a second instance behind a load balancer or a restart would see it.
 */
export function startOnSameData(server: TestServer, env: Record<string, string> = {}, options?: Parameters<typeof startTestServer>[2]): Promise<TestServer> {
  const { databaseUrl, masterKey } = server.config
  if (databaseUrl === null) return startTestServer(env, server.dataDir, options)
  return startTestServer({ DATABASE_URL: databaseUrl, ...(masterKey && { VERITY_MASTER_KEY: masterKey.toString('hex') }), ...env }, undefined, options)
}

/** How the `verity` CLI reaches the data of `server`: --data-dir, or --database-url with the master key. */
export function cliDataFor(server: TestServer): { args: string[]; env: Record<string, string> } {
  const { databaseUrl, masterKey } = server.config
  if (databaseUrl === null) return { args: ['--data-dir', server.dataDir], env: {} }
  return { args: ['--database-url', databaseUrl], env: masterKey ? { VERITY_MASTER_KEY: masterKey.toString('hex') } : {} }
}
