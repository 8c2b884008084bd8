/** Waits after each failed attempt; the last repeats until the delivery is a day old. */
export const DEFAULT_RETRY_SCHEDULE_MS: readonly number[] = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000]
export const RETRY_FOR_MS = 24 * 60 * 60 * 1000

/**
 * When to try again after `attempts` failed attempts, or null when the next try would fall beyond
 * the retry period (the delivery is then failed).
 */
export function nextAttemptAt(attempts: number, createdAt: Date, now: Date, schedule: readonly number[], retryForMs = RETRY_FOR_MS): Date | null {
  const wait = schedule[Math.min(attempts - 1, schedule.length - 1)] ?? 0
  const next = new Date(now.getTime() + wait)
  return next.getTime() - createdAt.getTime() > retryForMs ? null : next
}
