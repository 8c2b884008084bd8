import { hmacHex } from './hmac.js'
import type { TestServer } from './test-server.js'

export interface MessengerSession {
  readonly token: string
  readonly user: { user_id: string | null; email: string | null; anonymous: boolean; verified: boolean; device_id?: string }
}

type Identity = { userId?: string; email?: string }
type Platform = 'web' | 'ios' | 'android'

function identityFields(identity: Identity): Record<string, string> {
  return { ...(identity.userId !== undefined && { user_id: identity.userId }), ...(identity.email !== undefined && { email: identity.email }) }
}

async function auth(server: TestServer, body: Record<string, unknown>): Promise<MessengerSession> {
  const res = await server.request('POST', '/v1/messenger/auth', { body })
  if (res.status !== 200) throw new Error(`auth failed: ${res.status} ${JSON.stringify(res.body)}`)
  return { token: res.body.access_token, user: res.body.user }
}

/** A verified session: the user hash made with the platform secret, as the customer's server would. */
export function verifiedSession(server: TestServer, appId: string, secret: string, identity: Identity, platform: Platform = 'web'): Promise<MessengerSession> {
  const identifier = identity.userId ?? identity.email!
  return auth(server, { app_id: appId, platform, ...identityFields(identity), user_hash: hmacHex(secret, identifier) })
}

/** An identified session without proof (the platform must not be enforced). */
export function unverifiedSession(server: TestServer, appId: string, identity: Identity, deviceId?: string, platform: Platform = 'web'): Promise<MessengerSession> {
  return auth(server, { app_id: appId, platform, ...identityFields(identity), ...(deviceId !== undefined && { device_id: deviceId }) })
}

export function anonymousSession(server: TestServer, appId: string, deviceId?: string, platform: Platform = 'web'): Promise<MessengerSession> {
  return auth(server, { app_id: appId, platform, ...(deviceId !== undefined && { device_id: deviceId }) })
}
