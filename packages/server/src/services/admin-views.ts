import type { StoredApp, StoredSecret } from '../storage/app-repository.js'
import { PLATFORMS, type Platform } from '../verification/platforms.js'

/** The admin API's JSON shapes (API.md: App, Platform, Secret). */
export interface SecretMetaView {
  id: string
  created_at: string
  last_used_at: string | null
}
export interface SecretView extends SecretMetaView {
  value: string
}
export interface PlatformView {
  enforced: boolean
  secrets: SecretMetaView[]
}
export interface AppView {
  id: string
  name: string
  environment: string
  created_at: string
  platforms: Record<Platform, PlatformView>
}

export function secretMetaView(secret: StoredSecret): SecretMetaView {
  return { id: secret.id, created_at: secret.createdAt, last_used_at: secret.lastUsedAt }
}

export function secretView(secret: StoredSecret): SecretView {
  if (secret.value === null) throw new TypeError(`secret ${secret.id} does not open with the master key`)
  return { ...secretMetaView(secret), value: secret.value }
}

export function platformView(app: StoredApp, platform: Platform): PlatformView {
  return {
    enforced: app.platforms[platform].enforced,
    secrets: app.secrets.filter((s) => s.platform === platform && s.revokedAt === null).map(secretMetaView),
  }
}

export function appView(app: StoredApp): AppView {
  return {
    id: app.id,
    name: app.name,
    environment: app.environment,
    created_at: app.createdAt,
    platforms: Object.fromEntries(PLATFORMS.map((p) => [p, platformView(app, p)])) as Record<Platform, PlatformView>,
  }
}
