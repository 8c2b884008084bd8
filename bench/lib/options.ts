// The command line of `npm run bench`: flags (`--quick`) and values (`--rounds 3`).
import { WRK, type Tool } from './load-tools.js'

export const argv = process.argv.slice(2)

export const flag = (name: string): boolean => argv.includes(`--${name}`)

export function value(name: string): string | undefined {
  const i = argv.indexOf(`--${name}`)
  const next = argv[i + 1]
  return i >= 0 && next !== undefined && !next.startsWith('--') ? next : undefined
}

export const numberValue = (name: string, fallback: number): number => {
  const text = value(name)
  if (text === undefined) return fallback
  const n = Number(text)
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} takes a number, not ${text}`)
  return n
}

export const quick = flag('quick')

export interface BenchOptions {
  readonly rounds: number
  readonly warmupS: number
  readonly durationS: number
  readonly connections: number
  readonly apps: number
  readonly users: number
  readonly tool: Tool
  readonly only: readonly string[] | null
  readonly micro: boolean
  readonly workers: boolean
}

export function benchOptions(): BenchOptions {
  const tool = value('tool') ?? (WRK ? 'wrk' : 'autocannon')
  if (tool !== 'wrk' && tool !== 'autocannon') throw new Error(`--tool takes wrk or autocannon, not ${tool}`)
  return {
    rounds: numberValue('rounds', quick ? 1 : 3),
    warmupS: numberValue('warmup', quick ? 1 : 2),
    durationS: numberValue('duration', quick ? 2 : 5),
    connections: numberValue('connections', 10),
    apps: numberValue('apps', 10_000),
    users: 1_000,
    tool,
    only: value('only')?.split(',') ?? null,
    micro: !flag('no-micro'),
    workers: !flag('no-workers'),
  }
}

export const commandLine = (): string => `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`
