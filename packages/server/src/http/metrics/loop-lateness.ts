import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks'

/** How often the event loop's delay is sampled. */
export const LOOP_SAMPLE_MS = 20

/**
 * Node's event-loop delay histogram records the time between two samples, the sampling interval
 * included: an idle loop shows about LOOP_SAMPLE_MS. How late the loop was is what exceeds the
 * interval.
 */
export function lateSeconds(sampledNs: number): number {
  return Math.max(0, sampledNs / 1e6 - LOOP_SAMPLE_MS) / 1000
}

export function startLoopDelay(): IntervalHistogram {
  const histogram = monitorEventLoopDelay({ resolution: LOOP_SAMPLE_MS })
  histogram.enable()
  return histogram
}
