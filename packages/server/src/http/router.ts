import type { Method, Route } from './route.js'

interface Compiled {
  readonly route: Route
  readonly segments: readonly string[]
  /** Index → parameter name, for {param} segments. */
  readonly params: ReadonlyMap<number, string>
}

export type Match =
  | { readonly kind: 'found'; readonly route: Route; readonly params: Record<string, string> }
  | { readonly kind: 'method_not_allowed'; readonly allowed: readonly Method[] }
  | { readonly kind: 'not_found' }

/** Static paths resolve with one map lookup (the hot path is static); patterns are matched by segment. */
export class Router {
  readonly #static = new Map<string, Map<Method, Route>>()
  readonly #patterns: Compiled[] = []

  constructor(routes: readonly Route[]) {
    for (const route of routes) {
      // Authorization is decided before a route runs, from its action: an admin route without one is a bug.
      if (route.audience === 'admin' && route.action === undefined) throw new TypeError(`admin route without an action: ${route.method} ${route.path}`)
      if (!route.path.includes('{')) {
        const byMethod = this.#static.get(route.path) ?? new Map<Method, Route>()
        byMethod.set(route.method, route)
        this.#static.set(route.path, byMethod)
        continue
      }
      const segments = route.path.split('/')
      const params = new Map<number, string>()
      segments.forEach((s, i) => {
        if (s.startsWith('{')) params.set(i, s.slice(1, -1))
      })
      this.#patterns.push({ route, segments, params })
    }
  }

  match(method: string, path: string): Match {
    const byMethod = this.#static.get(path)
    if (byMethod) {
      const route = byMethod.get(method as Method)
      return route ? { kind: 'found', route, params: {} } : { kind: 'method_not_allowed', allowed: [...byMethod.keys()] }
    }
    const parts = path.split('/')
    const allowed: Method[] = []
    for (const candidate of this.#patterns) {
      const params = this.#matchSegments(candidate, parts)
      if (!params) continue
      if (candidate.route.method === method) return { kind: 'found', route: candidate.route, params }
      allowed.push(candidate.route.method)
    }
    return allowed.length > 0 ? { kind: 'method_not_allowed', allowed } : { kind: 'not_found' }
  }

  #matchSegments(candidate: Compiled, parts: readonly string[]): Record<string, string> | null {
    if (candidate.segments.length !== parts.length) return null
    const params: Record<string, string> = {}
    for (let i = 0; i < parts.length; i++) {
      const name = candidate.params.get(i)
      if (name !== undefined) {
        let value: string
        try {
          value = decodeURIComponent(parts[i]!)
        } catch {
          return null
        }
        if (value === '') return null
        params[name] = value
      } else if (candidate.segments[i] !== parts[i]) {
        return null
      }
    }
    return params
  }
}
