// Verity user hash in TypeScript with Web Crypto (crypto.subtle). userHash() runs as it is in
// Deno 2, Bun, Node 20+ and edge workers. Usage: deno run user_hash.ts SECRET IDENTIFIER  (or bun)
import process from 'node:process'

async function userHash(secret: string, identifier: string): Promise<string> {
  const utf8 = new TextEncoder()
  const key = await crypto.subtle.importKey('raw', utf8.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, utf8.encode(identifier)))
  return Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join('')
}

const [secret, identifier] = process.argv.slice(2)
if (secret === undefined || identifier === undefined) throw new Error('usage: user_hash.ts SECRET IDENTIFIER')
console.log(await userHash(secret, identifier))
