/**
 * The bound on diagnosis work. Diagnosing a failed proof means computing HMACs with keys that
 * should not have been used, and on a server with thousands of apps that is thousands of HMACs per
 * failure. A flood of bad hashes must not turn into a flood of HMACs that slows every other request
 * on the event loop, so each app gets a few thousand units a second, all apps together a few tens of
 * thousands, and a diagnosis that runs out answers `unknown` instead of waiting.
 *
 * One unit is one HMAC over up to 1 KiB of key and message (see `hmacUnits`): a user hash always
 * costs one, an identity token of up to 16 KiB may cost more, because its cost grows with its size.
 */

/** What one diagnosis draws from. */
export interface WorkBudget {
  /** Asks for `n` units before doing the work; false (and nothing charged) when they are not there. */
  take(n?: number): boolean
  /** Units this diagnosis has been granted so far. */
  readonly spent: number
}

export interface DiagnosisBudgetOptions {
  /** Units one app may spend in a one-second window. */
  readonly perAppPerSecond: number
  /** Units all apps together may spend in a one-second window: the ceiling on CPU lost to diagnosis. */
  readonly globalPerSecond: number
  /** Units one diagnosis may spend, so one failure cannot take its app's whole second. Default: the app's. */
  readonly perDiagnosis?: number
  /**
   * Apps whose window is tracked at once. Stale windows are dropped first; beyond the cap the oldest
   * window is forgotten, which can only hand that app a fresh second, never exceed the global bound.
   */
  readonly maxTrackedApps?: number
  /** Milliseconds, monotonic preferred; injectable so tests need no sleeping. */
  readonly now?: () => number
}

const WINDOW_MS = 1000
const DEFAULT_MAX_TRACKED_APPS = 10_000

interface Window {
  start: number
  used: number
}

/** Units for one HMAC: keyed work grows with the bytes hashed, so a 16 KiB token is not one unit. */
export function hmacUnits(key: string, message: string): number {
  // String length stands in for byte length: the budget needs proportion, not precision.
  return 1 + Math.floor((key.length + message.length) / 1024)
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a positive integer, got ${value}`)
  }
  return value
}

function checkUnits(n: number): void {
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`take() needs a positive integer, got ${n}`)
}

/** A budget of `limit` units not tied to any rate, for one-off diagnoses such as `verity verify`. */
export function fixedWorkBudget(limit: number): WorkBudget {
  if (limit !== Infinity && (!Number.isSafeInteger(limit) || limit < 0)) {
    throw new RangeError(`limit must be a non-negative integer or Infinity, got ${limit}`)
  }
  let spent = 0
  return {
    take(n = 1) {
      checkUnits(n)
      if (spent + n > limit) return false
      spent += n
      return true
    },
    get spent() {
      return spent
    },
  }
}

/** The server-wide rate of diagnosis work, per app and in total. */
export class DiagnosisBudget {
  readonly #perApp: number
  readonly #global: number
  readonly #perDiagnosis: number
  readonly #maxTrackedApps: number
  readonly #now: () => number
  // Insertion order is window-start order (a new window re-inserts its app), so stale windows are
  // always at the front and pruning stops at the first live one.
  readonly #apps = new Map<string, Window>()
  readonly #globalWindow: Window = { start: -Infinity, used: 0 }
  #granted = 0

  constructor(options: DiagnosisBudgetOptions) {
    this.#perApp = positiveInteger('perAppPerSecond', options.perAppPerSecond)
    this.#global = positiveInteger('globalPerSecond', options.globalPerSecond)
    this.#perDiagnosis =
      options.perDiagnosis === undefined ? Infinity : positiveInteger('perDiagnosis', options.perDiagnosis)
    this.#maxTrackedApps = positiveInteger('maxTrackedApps', options.maxTrackedApps ?? DEFAULT_MAX_TRACKED_APPS)
    this.#now = options.now ?? (() => performance.now())
  }

  /** The budget of one diagnosis for one app. */
  forApp(appId: string): WorkBudget {
    let spent = 0
    return {
      take: (n = 1) => {
        checkUnits(n)
        if (spent + n > this.#perDiagnosis || !this.#charge(appId, n)) return false
        spent += n
        return true
      },
      get spent() {
        return spent
      },
    }
  }

  /**
   * Units granted since start (one per HMAC of a user hash): for metrics, and for tests that bound
   * the work without timing it.
   */
  get hmacsComputed(): number {
    return this.#granted
  }

  /** Apps with a window in memory; stays at or under `maxTrackedApps`. */
  get trackedApps(): number {
    return this.#apps.size
  }

  #charge(appId: string, n: number): boolean {
    const now = this.#now()
    const global = this.#globalWindow
    // `now - start < WINDOW_MS` also holds when the clock stepped back, which keeps the window
    // (and what was spent in it) instead of handing out a fresh second.
    if (!(now - global.start < WINDOW_MS)) {
      global.start = now
      global.used = 0
    }
    const existing = this.#apps.get(appId)
    const live = existing !== undefined && now - existing.start < WINDOW_MS ? existing : undefined
    const appUsed = live?.used ?? 0
    if (global.used + n > this.#global || appUsed + n > this.#perApp) return false

    global.used += n
    this.#granted += n
    if (live !== undefined) {
      live.used += n
    } else {
      this.#apps.delete(appId)
      this.#prune(now)
      this.#apps.set(appId, { start: now, used: n })
    }
    return true
  }

  #prune(now: number): void {
    for (const [appId, window] of this.#apps) {
      if (now - window.start < WINDOW_MS) break
      this.#apps.delete(appId)
    }
    for (const appId of this.#apps.keys()) {
      if (this.#apps.size < this.#maxTrackedApps) break
      this.#apps.delete(appId)
    }
  }
}
