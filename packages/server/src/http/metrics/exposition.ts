/**
 * The Prometheus text exposition format (version 0.0.4), by hand: a few helpers and a histogram,
 * no dependency. https://prometheus.io/docs/instrumenting/exposition_formats/
 */
export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

export type Labels = Readonly<Record<string, string>>

/** Escapes a label value: backslash, double quote and line feed. */
export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === '\\' ? '\\\\' : c === '"' ? '\\"' : '\\n'))
}

export function formatLabels(labels: Labels | undefined): string {
  if (!labels) return ''
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabelValue(v)}"`)
  return parts.length === 0 ? '' : `{${parts.join(',')}}`
}

export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN'
  if (value === Infinity) return '+Inf'
  if (value === -Infinity) return '-Inf'
  return String(value)
}

/** Accumulates one exposition document: HELP and TYPE once per family, then its samples. */
export class ExpositionWriter {
  #text = ''

  family(name: string, type: 'counter' | 'gauge' | 'histogram', help: string): this {
    this.#text += `# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n# TYPE ${name} ${type}\n`
    return this
  }

  sample(name: string, value: number, labels?: Labels): this {
    this.#text += `${name}${formatLabels(labels)} ${formatValue(value)}\n`
    return this
  }

  toString(): string {
    return this.#text
  }
}

/**
 * A histogram with fixed buckets. observe() is a short linear scan and two additions: no
 * allocation, so it can sit on the hot path.
 */
export class Histogram {
  readonly #bounds: Float64Array
  /** Per bucket, not cumulative; the last slot is +Inf. */
  readonly #counts: Float64Array
  #sum = 0
  #count = 0

  constructor(bounds: readonly number[]) {
    const sorted = [...bounds].sort((a, b) => a - b)
    this.#bounds = Float64Array.from(sorted)
    this.#counts = new Float64Array(sorted.length + 1)
  }

  observe(value: number): void {
    const bounds = this.#bounds
    let i = 0
    while (i < bounds.length && value > bounds[i]!) i++
    this.#counts[i]!++
    this.#sum += value
    this.#count++
  }

  get count(): number {
    return this.#count
  }

  write(out: ExpositionWriter, name: string, labels: Labels = {}): void {
    let cumulative = 0
    for (let i = 0; i < this.#bounds.length; i++) {
      cumulative += this.#counts[i]!
      out.sample(`${name}_bucket`, cumulative, { ...labels, le: formatValue(this.#bounds[i]!) })
    }
    out.sample(`${name}_bucket`, this.#count, { ...labels, le: '+Inf' })
    out.sample(`${name}_sum`, this.#sum, labels)
    out.sample(`${name}_count`, this.#count, labels)
  }
}
