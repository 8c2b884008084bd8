import { BlockList, isIP } from 'node:net'

// Where a webhook must never reach unless development allows it: the server's own machine, its
// private network, and cloud metadata services (169.254.169.254) are the usual SSRF targets.
const PRIVATE = new BlockList()
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) PRIVATE.addSubnet(net, prefix, 'ipv4')
for (const [net, prefix] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['64:ff9b::', 96]] as const) PRIVATE.addSubnet(net, prefix, 'ipv6')

/** Whether an IP address is loopback, link-local, private, or otherwise not on the public internet. */
export function isPrivateAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '')
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare)
  if (mapped) return PRIVATE.check(mapped[1]!, 'ipv4')
  const family = isIP(bare)
  if (family === 4) return PRIVATE.check(bare, 'ipv4')
  if (family === 6) return PRIVATE.check(bare, 'ipv6')
  return false
}

/**
 * Why a webhook URL is refused, or null. Names are checked again when each delivery resolves them
 * (post-webhook.ts), since DNS can point a public name at a private address later.
 */
export function webhookUrlProblem(raw: string, allowDevelopment: boolean): string | null {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return 'url must be an absolute URL, such as https://example.com/hooks/verity.'
  }
  if (url.protocol !== 'https:' && !(allowDevelopment && url.protocol === 'http:')) {
    return 'url must use https (VERITY_WEBHOOKS_ALLOW_HTTP=1 allows http for development).'
  }
  if (url.username || url.password) return 'url must not carry a user name or password.'
  const host = url.hostname.toLowerCase()
  if (!allowDevelopment && (host === 'localhost' || host.endsWith('.localhost') || isPrivateAddress(host))) {
    return 'url points at a loopback, link-local or private address (VERITY_WEBHOOKS_ALLOW_HTTP=1 allows it for development).'
  }
  return null
}
