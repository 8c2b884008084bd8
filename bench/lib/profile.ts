// A text summary of a V8 .cpuprofile: where the time went, by function (self time) and by file.

interface CallFrame {
  readonly functionName: string
  readonly url: string
  readonly lineNumber: number
}

export interface CpuProfile {
  readonly nodes: ReadonlyArray<{ readonly id: number; readonly callFrame: CallFrame }>
  readonly samples: readonly number[]
  readonly timeDeltas?: readonly number[]
}

function shortUrl(url: string): string {
  if (!url) return '(native)'
  const i = url.indexOf('/node_modules/')
  if (i >= 0) return url.slice(i + 1)
  const d = url.indexOf('/dist/')
  if (d >= 0) return url.slice(d + 1)
  return url.replace(/^file:\/\//, '')
}

export function summarizeProfile(profile: CpuProfile, top = 30): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const self = new Map<number, number>()
  const deltas = profile.timeDeltas ?? []
  let total = 0
  profile.samples.forEach((id, i) => {
    const dt = deltas[i] ?? 0
    total += dt
    self.set(id, (self.get(id) ?? 0) + dt)
  })
  const byFunction = new Map<string, number>()
  const byFile = new Map<string, number>()
  for (const [id, t] of self) {
    const f = byId.get(id)!.callFrame
    const file = shortUrl(f.url)
    const key = `${f.functionName || '(anonymous)'}  ${file}:${f.lineNumber + 1}`
    byFunction.set(key, (byFunction.get(key) ?? 0) + t)
    const fileKey = f.url ? file : f.functionName || '(native)'
    byFile.set(fileKey, (byFile.get(fileKey) ?? 0) + t)
  }
  const pct = (t: number) => `${((100 * t) / total).toFixed(1).padStart(5)}%`
  const list = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, t]) => `${pct(t)}  ${k}`)
  return [`total sampled: ${(total / 1e6).toFixed(2)} s`, '', 'self time by function:', ...list(byFunction), '', 'self time by file:', ...list(byFile), ''].join('\n')
}
