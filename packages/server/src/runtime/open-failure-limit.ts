import { DatabaseFailureLimit } from '../limits/database-failure-limit.js'
import type { FailureLimit } from '../limits/failure-limit.js'
import { FailureWindow } from '../limits/failure-window.js'
import { FailureLimitRepository } from '../storage/failure-limit-repository.js'
import type { VerityData } from './open-verity-data.js'

export const FAILURE_WINDOW_MS = 60_000

/**
 * The failure limit this process uses (limits/failure-limit.ts): PostgreSQL's shared table, else
 * the one `serve --workers` hands in (the primary's window), else a window in this process.
 */
export function openFailureLimit(
  data: VerityData,
  limit: number,
  options: { readonly given?: FailureLimit | undefined; readonly onDatabaseError: (error: unknown) => void },
): { readonly failureLimit: FailureLimit; stop(): void } {
  const window = () => new FailureWindow({ limit, windowMs: FAILURE_WINDOW_MS })
  if (data.dialect !== 'postgres') return { failureLimit: options.given ?? window(), stop: () => {} }
  const shared = new DatabaseFailureLimit({
    store: new FailureLimitRepository(data.db, { limit, windowMs: FAILURE_WINDOW_MS }),
    fallback: window(),
    onError: options.onDatabaseError,
  })
  shared.start()
  return { failureLimit: shared, stop: () => shared.stop() }
}
