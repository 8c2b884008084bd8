// Small statistics over measured figures.

export function median(values: ReadonlyArray<number | null | undefined>): number | null {
  const v = values.filter((x): x is number => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b)
  if (v.length === 0) return null
  const mid = Math.floor(v.length / 2)
  return v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2
}

/** The value at quantile q (0–1) of the samples, nearest rank; null for none. */
export function quantile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!
}

export const round2 = (x: number | null | undefined): number | null => (x === null || x === undefined ? null : Math.round(x * 100) / 100)
export const int = (x: number | null | undefined): string => (x === null || x === undefined ? 'n/a' : Math.round(x).toLocaleString('en'))
export const ms = (x: number | null | undefined): string => (x === null || x === undefined ? 'n/a' : x.toFixed(2))
export const ratio = (x: number | null | undefined): string => (x === null || x === undefined ? '' : x.toFixed(2))
