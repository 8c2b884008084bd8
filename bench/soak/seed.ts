import type { HttpClient } from './http-client.js'

export interface SoakApp {
  readonly appId: string
  /** ios: not enforced (verified by user_hash, unverified, anonymous). */
  readonly iosSecret: string
  /** web: not enforced, verified by identity tokens. */
  readonly webSecret: string
  /** android: enforced, where wrong hashes are refused. */
  readonly androidSecret: string
}

/** The app of the run, made through the admin API as an operator would. */
export async function createSoakApp(client: HttpClient, adminKey: string): Promise<SoakApp> {
  const created = await client.request('POST', '/admin/v1/apps', { token: adminKey, body: { name: 'Soak app', environment: 'production' } })
  if (created.status !== 201) throw new Error(`creating the app: ${created.status} ${JSON.stringify(created.body)}`)
  const body = created.body as { app: { id: string }; secrets: Record<'ios' | 'web' | 'android', { value: string }> }
  const enforced = await client.request('PATCH', `/admin/v1/apps/${body.app.id}/platforms/android`, { token: adminKey, body: { enforced: true } })
  if (enforced.status !== 200) throw new Error(`enforcing android: ${enforced.status} ${JSON.stringify(enforced.body)}`)
  return { appId: body.app.id, iosSecret: body.secrets.ios.value, webSecret: body.secrets.web.value, androidSecret: body.secrets.android.value }
}
