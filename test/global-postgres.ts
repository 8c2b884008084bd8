// Vitest globalSetup: ONE throw-away PostgreSQL for the whole run (about a second to start).
// Tests read its superuser URL with inject('pgAdminUrl') and make their own database with
// createTestDatabase(), so they stay isolated and may run in parallel. When it cannot start,
// 'pgError' says why and the PostgreSQL tests fail with that message (they never pass silently).
import type { TestProject } from 'vitest/node'
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../packages/server/test/support/embedded-postgres.js'

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string
    pgError: string
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let server: EmbeddedPostgres | null = null
  try {
    server = await startEmbeddedPostgres()
    project.provide('pgAdminUrl', server.adminUrl)
    project.provide('pgError', '')
  } catch (error) {
    project.provide('pgAdminUrl', '')
    project.provide('pgError', `the test PostgreSQL did not start: ${(error as Error).message}`)
  }
  return async () => {
    await server?.destroy()
  }
}
