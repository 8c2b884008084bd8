import { createHmac, randomBytes } from 'node:crypto'

/** `whsec_` and the base64 of 24 random bytes (Standard Webhooks: the key is the base64 part). */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`
}

/**
 * The `webhook-signature` header value (https://www.standardwebhooks.com): `v1,` and the base64
 * HMAC-SHA256 of `id.timestamp.body` under the secret's bytes, one per signing secret, space
 * separated, so a receiver holding either secret of a rotation accepts the message.
 */
export function signWebhook(secrets: readonly string[], id: string, timestamp: number, body: string): string {
  return secrets
    .map((secret) => {
      const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64')
      return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`
    })
    .join(' ')
}
