import { timingSafeEqual } from 'node:crypto'
import type { AppRuntime } from '../config-cache/app-runtime.js'
import { PLATFORMS, type Platform } from '../verification/platforms.js'

interface ActiveSecret {
  readonly id: string
  readonly platform: Platform
  readonly key: Buffer
}

interface SecretProbe {
  /** Byte lengths of the app's active secrets: most strings are ruled out by their length alone. */
  readonly lengths: ReadonlySet<number>
  readonly secrets: readonly ActiveSecret[]
}

// The configuration cache makes a new AppRuntime on every change, so a probe never outlives its secrets.
const probes = new WeakMap<AppRuntime, SecretProbe>()

function probeOf(app: AppRuntime): SecretProbe {
  let probe = probes.get(app)
  if (probe === undefined) {
    const secrets = PLATFORMS.flatMap((platform) => app.platforms[platform].active.map((s) => ({ id: s.id, platform, key: s.key })))
    probe = { lengths: new Set(secrets.map((s) => s.key.length)), secrets }
    probes.set(app, probe)
  }
  return probe
}

export interface ExposedSecret {
  readonly secretId: string
  readonly platform: Platform
  /** The request fields that held it (names only, never the value). */
  readonly fields: readonly string[]
}

/**
 * The active secret of this app (any platform) that a client sent in one of the string fields of
 * `fields` (a request body), if any.
 * Strings whose length matches no secret cost a Set lookup; the others are compared in constant
 * time with each secret of that length.
 */
export function findExposedSecret(app: AppRuntime, fields: object): ExposedSecret | null {
  const probe = probeOf(app)
  if (probe.secrets.length === 0) return null
  let found: ActiveSecret | null = null
  const names: string[] = []
  for (const name in fields) {
    const value: unknown = (fields as Record<string, unknown>)[name]
    // Secrets are ASCII, so a string of another length cannot be one; the bytes are compared next.
    if (typeof value !== 'string' || !probe.lengths.has(value.length)) continue
    const bytes = Buffer.from(value, 'utf8')
    for (const secret of probe.secrets) {
      if (secret.key.length === bytes.length && timingSafeEqual(secret.key, bytes)) {
        found ??= secret
        names.push(name)
      }
    }
  }
  return found ? { secretId: found.id, platform: found.platform, fields: names } : null
}
