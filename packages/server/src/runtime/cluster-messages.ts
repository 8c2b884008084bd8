import type { Logger } from 'pino'
import type { FailureLimitMessage } from '../limits/cluster-failure-limit.js'

/** Messages between the primary and the workers; `verity` tells them apart from anything else. */
export type ClusterMessage =
  | { readonly verity: 'ready'; readonly url: string }
  | { readonly verity: 'config-changed'; readonly id: number }
  | { readonly verity: 'refresh'; readonly origin: number; readonly id: number }
  | { readonly verity: 'refreshed'; readonly origin: number; readonly id: number }
  | { readonly verity: 'config-synced'; readonly id: number }
  | FailureLimitMessage

export function isClusterMessage(message: unknown): message is ClusterMessage {
  return typeof message === 'object' && message !== null && typeof (message as { verity?: unknown }).verity === 'string'
}

/** How long a configuration write waits for the other workers before it is answered anyway. */
export const CONFIG_SYNC_TIMEOUT_MS = 2_000
/** A worker that dies this soon after starting is not restarted at once (crash loop). */
export const RESTART_BACKOFF_MS = 1_000

export interface ClusterOptions {
  readonly announce: (text: string) => void
  readonly logger?: Logger
}
