import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'

/**
 * AES-256-GCM with associated data. The associated data binds a ciphertext to where it belongs
 * (app, platform, secret id), so a row copied into another app fails to open instead of silently
 * verifying that app's users with someone else's secret.
 */
export class SecretBox {
  readonly #key: Buffer

  constructor(key: Buffer) {
    if (key.length !== 32) throw new TypeError('SecretBox needs a 32-byte key')
    this.#key = key
  }

  seal(plaintext: string, associatedData: string): string {
    const iv = randomBytes(12)
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv)
    cipher.setAAD(Buffer.from(associatedData, 'utf8'))
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
    return ['v1', iv.toString('base64url'), body.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.')
  }

  /** Returns null when the key or the associated data does not match: callers decide how loud to be. */
  open(sealed: string, associatedData: string): string | null {
    const parts = sealed.split('.')
    if (parts.length !== 4 || parts[0] !== 'v1') return null
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(parts[1]!, 'base64url'))
      decipher.setAAD(Buffer.from(associatedData, 'utf8'))
      decipher.setAuthTag(Buffer.from(parts[3]!, 'base64url'))
      return Buffer.concat([decipher.update(Buffer.from(parts[2]!, 'base64url')), decipher.final()]).toString('utf8')
    } catch {
      return null
    }
  }
}

export const secretAad = (appId: string, platform: string, secretId: string): string =>
  `verity/platform-secret/v1|${appId}|${platform}|${secretId}`
export const signingKeyAad = (keyId: string): string => `verity/signing-key/v1|${keyId}`
export const KEY_CHECK_AAD = 'verity/key-check/v1'
export const KEY_CHECK_PLAINTEXT = 'verity master key check'
