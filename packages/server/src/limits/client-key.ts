import { isIP } from 'node:net'

/**
 * What a per-client limit counts against: the client address, or for IPv6 its /64 network. One
 * subscriber usually holds a whole /64 (RFC 6177 suggests /56 or /48), so counting single IPv6
 * addresses would give one client 2^64 allowances.
 */
export function clientKey(address: string): string {
  if (isIP(address) !== 6) return address
  const [head = '', tail] = address.split('::') as [string, string | undefined]
  const left = head === '' ? [] : head.split(':')
  const right = tail === undefined || tail === '' ? [] : tail.split(':')
  // An embedded IPv4 tail (::ffff:1.2.3.4, 64:ff9b::1.2.3.4) sits beyond the first 64 bits.
  const groups = tail === undefined ? left : [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right]
  return `${groups
    .slice(0, 4)
    .map((g) => (g.includes('.') ? g : Number.parseInt(g, 16).toString(16)))
    .join(':')}::/64`
}
