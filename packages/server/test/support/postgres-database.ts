import { inject } from 'vitest'
import { createTestDatabase } from './embedded-postgres.js'

/** The run's PostgreSQL (test/global-postgres.ts); throws with the reason when it did not start. */
export function postgresAdminUrl(): string {
  const error = inject('pgError')
  const url = inject('pgAdminUrl')
  if (error || !url) throw new Error(error || 'no test PostgreSQL: is test/global-postgres.ts registered as a globalSetup in vitest.config.ts?')
  return url
}

/** A fresh, empty database on the run's PostgreSQL, for one test file or one test. */
export function freshPostgresDatabase(): Promise<string> {
  return createTestDatabase(postgresAdminUrl())
}
