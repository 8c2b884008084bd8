import { BlockList, isIP } from 'node:net'

/**
 * The proxies whose X-Forwarded-For Verity believes (VERITY_TRUSTED_PROXIES): addresses or CIDR
 * ranges, IPv4 or IPv6. Empty: the socket's address is the client's, whatever the header says.
 */
export class TrustedProxies {
  readonly #list = new BlockList()
  readonly size: number

  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      const [address, bits] = entry.split('/') as [string, string | undefined]
      const family = isIP(address)
      if (family === 0) throw new Error(`"${entry}" is not an IP address or CIDR range`)
      const type = family === 4 ? 'ipv4' : 'ipv6'
      if (bits === undefined) this.#list.addAddress(address, type)
      else {
        const prefix = /^\d{1,3}$/.test(bits) ? Number(bits) : NaN
        if (!(prefix >= 0 && prefix <= (family === 4 ? 32 : 128))) throw new Error(`"${entry}" has an invalid prefix length`)
        this.#list.addSubnet(address, prefix, type)
      }
    }
    this.size = entries.length
  }

  has(address: string): boolean {
    if (this.size === 0) return false
    const plain = unmapped(address)
    const family = isIP(plain)
    return family !== 0 && this.#list.check(plain, family === 4 ? 'ipv4' : 'ipv6')
  }
}

/** `::ffff:10.0.0.1` (an IPv4 client on a dual-stack socket) is 10.0.0.1. */
function unmapped(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address
}

/**
 * The address that per-client limits count against: the socket's, or, when the socket is a
 * trusted proxy, the right-most address of X-Forwarded-For that is not itself a trusted proxy
 * (left-most entries are whatever the client chose to send).
 */
export function clientAddress(socketAddress: string | undefined, forwardedFor: string | string[] | undefined, trusted: TrustedProxies): string {
  const peer = unmapped(socketAddress ?? 'unknown')
  if (forwardedFor === undefined || !trusted.has(peer)) return peer
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor).split(',')
  let client = peer
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = unmapped(hops[i]!.trim())
    if (isIP(hop) === 0) break // garbage: stop at the last address a trusted proxy vouched for
    client = hop
    if (!trusted.has(hop)) break
  }
  return client
}
