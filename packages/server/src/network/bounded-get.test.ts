import { createServer, type RequestListener, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { isPublicAddress } from './address-policy.js'
import { boundedGet, BoundedGetError, type BoundedGetOptions } from './bounded-get.js'

const servers: Server[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))))
})

/** A listener on a loopback address that counts the connections it receives. */
async function listen(host: string, handler: RequestListener): Promise<{ url: string; connections: () => number }> {
  let connections = 0
  const server = createServer(handler)
  server.on('connection', () => connections++)
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, host, resolve))
  return { url: `http://${host}:${(server.address() as AddressInfo).port}`, connections: () => connections }
}

// The test server on 127.0.0.1 stands in for a public host; every other address is judged by the
// production rules, so a redirect to 127.0.0.2 is a redirect to loopback.
const options: BoundedGetOptions = {
  maxBytes: 1024,
  timeoutMs: 2_000,
  maxRedirects: 2,
  allowHttp: true,
  isAllowedAddress: (address) => address === '127.0.0.1' || isPublicAddress(address),
}

async function refusal(promise: Promise<unknown>): Promise<BoundedGetError> {
  const error = await promise.then(() => null, (e: unknown) => e)
  expect(error).toBeInstanceOf(BoundedGetError)
  return error as BoundedGetError
}

describe('boundedGet', () => {
  it('reads a small answer', async () => {
    const origin = await listen('127.0.0.1', (_req, res) => res.end('{"keys":[]}'))
    const { body } = await boundedGet(`${origin.url}/jwks`, options)
    expect(body.toString()).toBe('{"keys":[]}')
  })

  it('never connects to a private address given literally, with the production rules', async () => {
    const target = await listen('127.0.0.1', (_req, res) => res.end('{}'))
    const production = { ...options, isAllowedAddress: isPublicAddress }
    expect((await refusal(boundedGet(`${target.url}/`, production))).reason).toBe('address')
    expect((await refusal(boundedGet(target.url.replace('127.0.0.1', 'localhost'), production))).reason).toBe('address')
    expect((await refusal(boundedGet('http://169.254.169.254/latest/meta-data', production))).reason).toBe('address')
    expect(target.connections()).toBe(0)
  })

  it('checks every redirect again: a redirect to loopback or link-local is refused without connecting', async () => {
    const inside = await listen('127.0.0.2', (_req, res) => res.end('{"secret":true}'))
    for (const location of [`${inside.url}/`, inside.url.replace('127.0.0.2', '[::1]'), 'http://169.254.169.254/latest/meta-data']) {
      const origin = await listen('127.0.0.1', (_req, res) => res.writeHead(302, { location }).end())
      expect((await refusal(boundedGet(`${origin.url}/jwks`, options))).reason).toBe('address')
    }
    expect(inside.connections()).toBe(0)
  })

  it('follows at most 2 redirects, and refuses a redirect to another scheme when http is not allowed', async () => {
    let hops = 0
    const origin = await listen('127.0.0.1', (req, res) => {
      hops++
      if (req.url === '/3') res.end('{"keys":[]}')
      else res.writeHead(307, { location: `/${Number(req.url!.slice(1)) + 1}` }).end()
    })
    expect((await boundedGet(`${origin.url}/1`, options)).url).toBe(`${origin.url}/3`)
    hops = 0
    expect((await refusal(boundedGet(`${origin.url}/0`, options))).reason).toBe('redirects')
    expect(hops).toBe(3)
    expect((await refusal(boundedGet(`${origin.url}/1`, { ...options, allowHttp: false }))).reason).toBe('scheme')
  })

  it('refuses a body over the bound, declared or streamed, and an error status', async () => {
    const big = await listen('127.0.0.1', (req, res) => {
      if (req.url === '/declared') res.writeHead(200, { 'content-length': '5000' }).end('x'.repeat(5000))
      else if (req.url === '/status') res.writeHead(500).end()
      else {
        res.writeHead(200)
        res.write('x'.repeat(800))
        res.end('x'.repeat(800))
      }
    })
    expect((await refusal(boundedGet(`${big.url}/declared`, options))).reason).toBe('size')
    expect((await refusal(boundedGet(`${big.url}/streamed`, options))).reason).toBe('size')
    expect((await refusal(boundedGet(`${big.url}/status`, options))).reason).toBe('status')
  })

  it('gives up on a server that never answers, within the time bound', async () => {
    const slow = await listen('127.0.0.1', () => {})
    const error = await refusal(boundedGet(`${slow.url}/`, { ...options, timeoutMs: 200 }))
    expect(error.reason).toBe('timeout')
  })
})
