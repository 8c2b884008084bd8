// The requests the benchmark sends, prepared once, and the check that a server answers them as
// the scenario expects.
import { fetchJson, type JsonAnswer } from './bench-run.js'
import type { LoadSpec } from './load-tools.js'
import { hmacHex } from './seed.js'

export const JSON_HEADERS = { 'Content-Type': 'application/json' }
export const AUTH = '/v1/messenger/auth'
export const ME = '/v1/messenger/me'

/** `count` verified auth bodies of distinct users, with their hashes made once. */
export function verifiedBodies(appId: string, platform: string, secret: string, count: number, tag: string): string[] {
  const bodies: string[] = []
  for (let i = 0; i < count; i++) {
    const userId = `user_${tag}_${i}`
    bodies.push(JSON.stringify({ app_id: appId, platform, user_id: userId, user_hash: hmacHex(secret, userId) }))
  }
  return bodies
}

export const postSpec = (name: string, port: number, bodies: readonly string[]): LoadSpec => ({ name, port, method: 'POST', path: AUTH, rotate: bodies.map((body) => ({ headers: JSON_HEADERS, body })) })

/** Access tokens from the first `count` bodies: the /me scenarios send them in rotation. */
export async function accessTokens(port: number, bodies: readonly string[], count: number): Promise<string[]> {
  const tokens: string[] = []
  for (const body of bodies.slice(0, count)) {
    const res = await fetchJson(port, 'POST', AUTH, { body })
    if (res.status !== 200) throw new Error(`could not get an access token: ${res.status} ${JSON.stringify(res.body)}`)
    tokens.push(res.body.access_token as string)
  }
  return tokens
}

export const meSpec = (name: string, port: number, tokens: readonly string[]): LoadSpec => ({ name, port, method: 'GET', path: ME, rotate: tokens.map((token) => ({ headers: { Authorization: `Bearer ${token}` } })) })

/** Says what is wrong with an answer, or null when it is what the scenario expects. */
export type AnswerCheck = (res: JsonAnswer) => string | null

export const expect200 = (pred: (body: any) => boolean, what: string): AnswerCheck => (res) => (res.status === 200 && pred(res.body) ? null : `expected 200 with ${what}`)

let prechecks = 0

/** One request of the scenario, through fetch, to prove the server answers what we think it does. */
export async function precheck(id: string, spec: LoadSpec, check: AnswerCheck): Promise<void> {
  const r = spec.unique ? { headers: spec.unique.headers, body: `${spec.unique.prefix}precheck${++prechecks}${spec.unique.suffix}` } : spec.rotate![0]!
  const res = await fetchJson(spec.port, spec.method, spec.path, { body: r.body, token: r.headers?.Authorization?.slice(7) })
  const problem = check(res)
  if (problem) throw new Error(`scenario ${id}: ${problem} (got ${res.status} ${JSON.stringify(res.body)})`)
}
