import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto'

const RANDOM_BYTES = 16
const TAG_BYTES = 16
const PREFIX = 'dev_'
const ENCODED_LENGTH = PREFIX.length + Math.ceil(((RANDOM_BYTES + TAG_BYTES) * 4) / 3)

/**
 * Device ids carry 128 random bits and a MAC that binds them to the app. Verity can then tell,
 * without a database read on the hot path, whether it issued a device id for this app: anything
 * else is ignored and a fresh one issued, so nobody can pick a device id to step into a space.
 */
export class DeviceIds {
  readonly #key: Buffer

  constructor(masterKey: Buffer) {
    this.#key = Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'verity/device-id/v1', 32))
  }

  issue(appId: string): string {
    const random = randomBytes(RANDOM_BYTES)
    return PREFIX + Buffer.concat([random, this.#tag(appId, random)]).toString('base64url')
  }

  /** True when this server issued `deviceId` for `appId`. */
  isIssued(appId: string, deviceId: string): boolean {
    if (deviceId.length !== ENCODED_LENGTH || !deviceId.startsWith(PREFIX)) return false
    const raw = Buffer.from(deviceId.slice(PREFIX.length), 'base64url')
    if (raw.length !== RANDOM_BYTES + TAG_BYTES) return false
    const expected = this.#tag(appId, raw.subarray(0, RANDOM_BYTES))
    return timingSafeEqual(expected, raw.subarray(RANDOM_BYTES))
  }

  #tag(appId: string, random: Buffer): Buffer {
    return createHmac('sha256', this.#key).update(appId).update('\0').update(random).digest().subarray(0, TAG_BYTES)
  }
}
