import { hashPassword } from '../../src/crypto/password-hash.js'
import { ApiTokens } from '../../src/teammates/api-tokens.js'
import type { Role } from '../../src/authorization/roles.js'
import type { TestServer } from './test-server.js'

/** Tests hash at a low scrypt cost: the format and the code path are the product's, the CPU is spared. */
export const TEST_SCRYPT_ENV = { VERITY_SCRYPT_LOG_N: '12' }
export const GOOD_PASSWORD = 'plum-orbit-canvas-7'

export interface SignedInClient {
  readonly cookie: string
  readonly csrf: string
  readonly setCookie: string
  /** A request with the session cookie; unsafe methods carry the CSRF token unless told otherwise. */
  call(method: string, path: string, body?: unknown, options?: { csrf?: string | null; origin?: string }): Promise<{ status: number; body: any; headers: Headers }>
}

/** A teammate made directly in storage (with a password), as the CLI would. */
export async function addTeammate(server: TestServer, email: string, role: Role, password = GOOD_PASSWORD): Promise<string> {
  const t = await server.running.data.teammates.create({ email, name: null, role, passwordHash: await hashPassword(password, 12), invite: null }, { actor: 'test' }, new Date())
  return t.id
}

export async function apiToken(server: TestServer, teammateId: string, role: Role, tokenRole: Role = role): Promise<string> {
  const made = await new ApiTokens(server.running.data.apiTokens, server.running.data.changes).create({ teammateId, role }, { name: `t-${tokenRole}`, role: tokenRole }, { actor: 'test' })
  return made.value
}

export function cookieOf(setCookie: string): string {
  return setCookie.split(';')[0]!
}

export async function signIn(server: TestServer, email: string, password = GOOD_PASSWORD, totp?: string): Promise<SignedInClient> {
  const res = await server.request('POST', '/admin/v1/session', { body: { email, password, ...(totp !== undefined && { totp }) } })
  if (res.status !== 200) throw new Error(`sign-in failed: ${res.status} ${JSON.stringify(res.body)}`)
  const setCookie = res.headers.get('set-cookie')!
  const cookie = cookieOf(setCookie)
  const csrf = res.body.csrf_token as string
  return {
    cookie,
    csrf,
    setCookie,
    call: (method, path, body, options = {}) => {
      const headers: Record<string, string> = { cookie }
      const token = options.csrf === undefined ? csrf : options.csrf
      if (method !== 'GET' && token !== null) headers['x-csrf-token'] = token
      if (options.origin) headers.origin = options.origin
      return server.request(method, path, { ...(body !== undefined && { body }), headers })
    },
  }
}

/** Signs in and confirms the password: sensitive calls are open for 10 minutes. */
export async function signInConfirmed(server: TestServer, email: string, password = GOOD_PASSWORD): Promise<SignedInClient> {
  const client = await signIn(server, email, password)
  const res = await client.call('POST', '/admin/v1/session/confirm', { password })
  if (res.status !== 200) throw new Error(`confirm failed: ${res.status} ${JSON.stringify(res.body)}`)
  return client
}
