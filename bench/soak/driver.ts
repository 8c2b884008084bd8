import { Histogram } from './histogram.js'
import type { Outcome } from './mix.js'

export interface OutcomeCount {
  readonly op: string
  readonly status: number
  readonly code: string | null
  readonly expected: boolean
  count: number
}

export interface MinuteStats {
  readonly latency: Histogram
  requests: number
  unexpected: number
  serverErrors: number
}

/** Latencies per minute of the run and per call, and every answer counted by call, status and code. */
export class Recorder {
  readonly #startedAt: number
  readonly minutes: MinuteStats[] = []
  readonly outcomes = new Map<string, OutcomeCount>()
  readonly perOp = new Map<string, Histogram>()

  constructor(startedAt = performance.now()) {
    this.#startedAt = startedAt
  }

  /** `at` (performance.now) places the call in its minute: when it was due, not when it ended. */
  record(outcome: Outcome, ms: number, at: number = performance.now()): void {
    const index = Math.max(0, Math.floor((at - this.#startedAt) / 60_000))
    while (this.minutes.length <= index) this.minutes.push({ latency: new Histogram(), requests: 0, unexpected: 0, serverErrors: 0 })
    const minute = this.minutes[index]!
    minute.latency.record(ms)
    minute.requests++
    if (!outcome.expected) minute.unexpected++
    if (outcome.status >= 500) minute.serverErrors++
    const key = `${outcome.op}\u0000${outcome.status}\u0000${outcome.code ?? ''}\u0000${outcome.expected}`
    const counted = this.outcomes.get(key)
    if (counted) counted.count++
    else this.outcomes.set(key, { op: outcome.op, status: outcome.status, code: outcome.code, expected: outcome.expected, count: 1 })
    let histogram = this.perOp.get(outcome.op)
    if (!histogram) this.perOp.set(outcome.op, (histogram = new Histogram()))
    histogram.record(ms)
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * The maximum rate of the mix: `concurrency` callers, each starting its next call when the last
 * ends, for `warmMs` unmeasured and then `measureMs`. Returns calls a second in the measured part.
 */
export async function closedLoop(next: () => Promise<Outcome>, recorder: Recorder, concurrency: number, warmMs: number, measureMs: number): Promise<number> {
  const start = performance.now()
  const measureFrom = start + warmMs
  const end = measureFrom + measureMs
  let measured = 0
  const caller = async (): Promise<void> => {
    while (performance.now() < end) {
      const begun = performance.now()
      const outcome = await next()
      const done = performance.now()
      recorder.record(outcome, done - begun, begun)
      if (begun >= measureFrom && done <= end) measured++
    }
  }
  await Promise.all(Array.from({ length: concurrency }, caller))
  return (measured * 1000) / measureMs
}

/**
 * `rate` calls a second on a fixed schedule for `durationMs` (open loop, like wrk2): each call's
 * latency counts from when it was due, so a stall of the server shows in full instead of slowing
 * the load down. At most `maxInFlight` calls run at once; calls due beyond that wait their turn,
 * and their wait counts.
 */
export async function openLoop(
  next: () => Promise<Outcome>,
  recorder: Recorder,
  rate: number,
  durationMs: number,
  maxInFlight: number,
  onTick?: (elapsedMs: number) => void,
): Promise<{ sent: number; maxBacklog: number }> {
  const start = performance.now()
  const total = Math.floor((rate * durationMs) / 1000)
  const interval = 1000 / rate
  let sent = 0
  let inFlight = 0
  let maxBacklog = 0
  let wake: (() => void) | null = null
  const launch = (due: number): void => {
    inFlight++
    void next().then((outcome) => {
      recorder.record(outcome, performance.now() - due, due)
      inFlight--
      wake?.()
    })
  }
  while (sent < total) {
    const now = performance.now()
    const dueNow = Math.min(total, Math.floor((now - start) / interval) + 1)
    maxBacklog = Math.max(maxBacklog, dueNow - sent - (maxInFlight - inFlight))
    while (sent < dueNow && inFlight < maxInFlight) launch(start + sent++ * interval)
    onTick?.(now - start)
    if (inFlight >= maxInFlight) await new Promise<void>((resolve) => (wake = resolve))
    else await sleep(Math.max(1, start + sent * interval - performance.now()))
    wake = null
  }
  while (inFlight > 0) await sleep(5)
  return { sent, maxBacklog: Math.max(0, maxBacklog) }
}
