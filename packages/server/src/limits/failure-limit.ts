/**
 * The failure limit (API.md, the 429 row): per identifier, app and platform, at most
 * VERITY_FAILURE_LIMIT refusals (401) within a sliding minute; further attempts that would be
 * refused get 429 instead. It is consulted only for attempts that are refused anyway, so a valid
 * proof never meets it and no one can lock a user out by guessing.
 *
 * One count for everything that serves an app, so the limit is exact whatever the deployment:
 *  - one process: in memory (failure-window.ts);
 *  - `serve --workers N` on SQLite: the primary's window, asked over IPC (cluster-failure-limit.ts);
 *  - PostgreSQL (any number of instances and workers): a shared table (database-failure-limit.ts).
 */
export interface FailureLimit {
  /**
   * Counts a refusal of `key` unless it already had the limit within the window, in one step:
   * 0 when counted (answer 401), else the seconds to wait (answer 429 with Retry-After).
   */
  refuse(key: string, now: number): number | Promise<number>
}

export function failureLimitKey(appId: string, platform: string, identityKey: string): string {
  return `${appId}\u0000${platform}\u0000${identityKey}`
}
