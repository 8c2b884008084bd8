import { setTimeout as delay } from 'node:timers/promises'

/**
 * Every instance writes the attempts and failures it buffers within 2 s, so one made just before an
 * erasure or an app's deletion may reach storage just after it: they are deleted again this long after.
 */
export const LATE_STATISTICS_MS = 2_500

/**
 * How the second sweep runs: on a timer in a server ('background'); awaited by the CLI, which
 * exits when its command ends ('await').
 */
export type LateSweepMode = 'background' | 'await'

export async function sweepLate(mode: LateSweepMode, sweep: () => Promise<unknown>, onError?: (error: unknown) => void): Promise<void> {
  // Awaited, the timer must keep the process alive; in the background it must not hold a stopping server.
  const late = delay(LATE_STATISTICS_MS, undefined, { ref: mode === 'await' }).then(sweep)
  if (mode === 'await') await late
  else late.catch((error: unknown) => onError?.(error))
}
