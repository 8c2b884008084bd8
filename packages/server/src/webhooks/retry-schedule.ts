/** Waits after each failed attempt; the last repeats until the delivery is a day old. */
export const DEFAULT_RETRY_SCHEDULE_MS: readonly number[] = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000]
export const RETRY_FOR_MS = 24 * 60 * 60 * 1000

/**
 * When to try again after `attempts` failed attempts: the scheduled wait, but never past the end
 * of the retry period, so the last try falls at its end; null once the period is over (the
 * delivery is then failed).
 */
export function nextAttemptAt(attempts: number, createdAt: Date, now: Date, schedule: readonly number[], retryForMs = RETRY_FOR_MS): Date | null {
  const deadline = createdAt.getTime() + retryForMs
  if (now.getTime() >= deadline) return null
  const wait = schedule[Math.min(attempts - 1, schedule.length - 1)] ?? 0
  return new Date(Math.min(now.getTime() + wait, deadline))
}
