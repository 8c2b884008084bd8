/** The admin API, called with the session cookie; unsafe calls carry the session's CSRF token. */
export class ApiError extends Error {
  readonly status: number
  readonly code: string
  constructor(status: number, code: string, message: string) {
    super(message)
    this.status = status
    this.code = code
  }
  /** In words, with the API's code (what a person reports, and what the docs list). */
  describe(): string {
    return `${this.message} (${this.code})`
  }
}

let csrfToken: string | null = null

export function setCsrfToken(token: string | null): void {
  csrfToken = token
}

export async function api<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' }
  if (body !== undefined) headers['content-type'] = 'application/json'
  if (method !== 'GET' && csrfToken !== null) headers['x-csrf-token'] = csrfToken
  let res: Response
  try {
    res = await fetch(path, { method, headers, credentials: 'same-origin', ...(body !== undefined && { body: JSON.stringify(body) }) })
  } catch {
    throw new ApiError(0, 'network_error', 'Verity could not be reached. Check the connection and try again.')
  }
  if (res.status === 204) return undefined as T
  const json = (await res.json().catch(() => null)) as { error?: { code: string; message: string } } | null
  if (!res.ok) {
    throw new ApiError(res.status, json?.error?.code ?? 'unknown_error', json?.error?.message ?? `The server answered ${res.status}.`)
  }
  return json as T
}

export type PlatformName = 'web' | 'ios' | 'android'
export const PLATFORMS: readonly PlatformName[] = ['web', 'ios', 'android']
export const PLATFORM_LABELS: Readonly<Record<PlatformName, string>> = { web: 'Web', ios: 'iOS', android: 'Android' }

export interface Teammate { id: string; email: string; name: string | null; role: string }
export interface Platform { enforced: boolean; secrets: { id: string; created_at: string; last_used_at: string | null }[] }
export interface App { id: string; name: string; environment: string; created_at: string; platforms: Record<PlatformName, Platform> }
export interface Secret { id: string; value: string; created_at: string; last_used_at: string | null }
export interface Counts { users: number; verified: number; missing: number; invalid: number }
export interface Rollout {
  window_days: number
  totals: Counts
  versions: (Counts & { app_version: string | null; last_seen_at: string })[]
  forecast: { would_be_refused: number; app_versions: (string | null)[] }
}
