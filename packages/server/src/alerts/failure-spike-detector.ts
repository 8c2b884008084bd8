/** Invalid proofs on one app platform within this window make a spike (API.md). */
export const SPIKE_WINDOW_MS = 5 * 60_000
const BUCKETS = 10
const BUCKET_MS = SPIKE_WINDOW_MS / BUCKETS
/** Distinct app versions counted per bucket; the rest count as "(other)", so a flood of made-up versions holds no memory. */
const VERSIONS_PER_BUCKET = 20
const TOP = 5

interface Bucket {
  start: number
  attempts: number
  invalid: number
  readonly diagnoses: Map<string, number>
  readonly versions: Map<string, number>
}

interface PlatformWindow {
  readonly appId: string
  readonly platform: string
  readonly buckets: Bucket[]
  /** Raised and not yet back under the bound: no second event for the same spike. */
  raised: boolean
}

export interface Spike {
  readonly appId: string
  readonly platform: string
  readonly invalid: number
  readonly attempts: number
  readonly topDiagnoses: readonly { readonly diagnosis: string; readonly count: number }[]
  readonly topAppVersions: readonly { readonly app_version: string; readonly count: number }[]
}

/**
 * Counts attempts and invalid proofs per app platform in fixed buckets (10 of 30 s), so memory
 * is a few hundred bytes per platform whatever the traffic. Counting is a lookup and two
 * increments (the auth path); `evaluate` runs off the request path, once a second.
 */
export class FailureSpikeDetector {
  readonly #min: number
  readonly #windows = new Map<string, PlatformWindow>()

  /** `min`: VERITY_SPIKE_MIN, the fewest invalid proofs within the window that make a spike. */
  constructor(min: number) {
    this.#min = min
  }

  get tracked(): number {
    return this.#windows.size
  }

  /** One identified attempt (keys are bounded by the configured apps: unknown app ids never get here). */
  attempt(appId: string, platform: string, invalid: boolean, now: number): void {
    const bucket = this.#bucket(appId, platform, now)
    bucket.attempts++
    if (invalid) bucket.invalid++
  }

  /** What the diagnosis found for one invalid proof, with its app version (at flush time). */
  diagnosed(appId: string, platform: string, diagnosis: string, appVersion: string | null, at: number): void {
    const bucket = this.#bucket(appId, platform, at)
    bucket.diagnoses.set(diagnosis, (bucket.diagnoses.get(diagnosis) ?? 0) + 1)
    let version = appVersion ?? '(none)'
    if (!bucket.versions.has(version) && bucket.versions.size >= VERSIONS_PER_BUCKET) version = '(other)'
    bucket.versions.set(version, (bucket.versions.get(version) ?? 0) + 1)
  }

  /** The spikes that began since the last call; platforms back under the bound may raise again. */
  evaluate(now: number): Spike[] {
    const spikes: Spike[] = []
    for (const [key, w] of this.#windows) {
      let attempts = 0
      let invalid = 0
      const diagnoses = new Map<string, number>()
      const versions = new Map<string, number>()
      for (const b of w.buckets) {
        if (b.start <= now - SPIKE_WINDOW_MS) continue
        attempts += b.attempts
        invalid += b.invalid
        for (const [d, n] of b.diagnoses) diagnoses.set(d, (diagnoses.get(d) ?? 0) + n)
        for (const [v, n] of b.versions) versions.set(v, (versions.get(v) ?? 0) + n)
      }
      if (attempts === 0 && diagnoses.size === 0) {
        this.#windows.delete(key)
        continue
      }
      const spiking = invalid >= this.#min && invalid * 5 > attempts
      if (spiking && !w.raised) {
        spikes.push({
          appId: w.appId,
          platform: w.platform,
          invalid,
          attempts,
          topDiagnoses: top(diagnoses).map(([diagnosis, count]) => ({ diagnosis, count })),
          topAppVersions: top(versions).map(([app_version, count]) => ({ app_version, count })),
        })
      }
      w.raised = spiking
    }
    return spikes
  }

  #bucket(appId: string, platform: string, now: number): Bucket {
    const key = `${appId}\u0000${platform}`
    let w = this.#windows.get(key)
    if (w === undefined) {
      w = { appId, platform, buckets: [], raised: false }
      for (let i = 0; i < BUCKETS; i++) w.buckets.push({ start: -Infinity, attempts: 0, invalid: 0, diagnoses: new Map(), versions: new Map() })
      this.#windows.set(key, w)
    }
    const start = Math.floor(now / BUCKET_MS) * BUCKET_MS
    const bucket = w.buckets[Math.floor(now / BUCKET_MS) % BUCKETS]!
    if (bucket.start !== start) {
      bucket.start = start
      bucket.attempts = 0
      bucket.invalid = 0
      bucket.diagnoses.clear()
      bucket.versions.clear()
    }
    return bucket
  }
}

function top(counts: Map<string, number>): [string, number][] {
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, TOP)
}
