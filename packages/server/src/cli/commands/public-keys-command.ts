import { createPublicKey } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { Command } from 'commander'
import { parseJwksAllowHttp } from '../../config/server-config.js'
import { jwksFetcher, jwksGetOptions } from '../../config-cache/fetch-jwks.js'
import { PublicKeys, type NewPublicKeyInput, type PublicKeyView } from '../../services/public-keys.js'
import type { Platform } from '../../verification/platforms.js'
import { printJson, usageError, type CliIo } from '../cli-io.js'
import { withData, type CliData, type DataOptions } from '../with-data.js'
import { parsePlatform, withDataOptions } from './data-options.js'

type Options = DataOptions & { json?: boolean; app: string; platform: Platform; jwk?: string; pem?: string; kid?: string; jwksUrl?: string; publicKeyId?: string }

function scoped(command: Command): Command {
  return withDataOptions(command.requiredOption('--app <app_id>', 'the app').requiredOption('--platform <platform>', 'web, ios or android', parsePlatform))
}

function describeKey(key: PublicKeyView): string {
  const what = key.kind === 'jwk' ? `${key.alg} key, kid ${key.kid}` : `JWKS ${key.jwks_url}`
  return `${key.id}  ${what}  (added ${key.created_at})\n`
}

/** The key to register, from a JWK file, a PEM file (as openssl writes it) with --kid, or a JWKS URL. */
function inputOf(io: CliIo, opts: Options): NewPublicKeyInput {
  const given = [opts.jwk, opts.pem, opts.jwksUrl].filter((v) => v !== undefined).length
  if (given !== 1) throw usageError('keys public add needs exactly one of --jwk <file>, --pem <file> (with --kid) and --jwks-url <url>.')
  if (opts.jwksUrl !== undefined) return { jwks_url: opts.jwksUrl }
  const file = resolve(io.cwd, (opts.jwk ?? opts.pem)!)
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    throw usageError(`Cannot read ${file}: ${(error as Error).message}.`)
  }
  if (opts.jwk !== undefined) {
    try {
      return { jwk: JSON.parse(text) as unknown }
    } catch {
      throw usageError(`${file} is not JSON: --jwk takes a file holding one JWK.`)
    }
  }
  if (!opts.kid) throw usageError('--pem needs --kid <kid>: the key id your identity tokens will name in their header.')
  if (text.includes('PRIVATE KEY')) throw usageError(`${file} holds a private key: give the public key (openssl pkey -in private.pem -pubout -out public.pem), and keep the private key on your server.`)
  try {
    return { jwk: { ...createPublicKey(text).export({ format: 'jwk' }), kid: opts.kid } }
  } catch {
    throw usageError(`${file} is not a PEM public key.`)
  }
}

/** `verity keys public add|list|remove`: customer-held public keys of a platform. */
export function publicKeysCommand(io: CliIo): Command {
  const command = new Command('public').description('public keys (ES256, EdDSA) that verify identity tokens your servers sign with their own private key')
  const service = (ctx: CliData) => {
    const allowHttp = parseJwksAllowHttp(io.env)
    return new PublicKeys({ changes: ctx.data.changes, publicKeys: ctx.data.publicKeys, apps: ctx.data.apps, allowHttp, fetchJwks: jwksFetcher(jwksGetOptions(allowHttp)), onChange: async () => {} })
  }
  scoped(
    command
      .command('add')
      .description('register a public key: a JWK file, a PEM file with --kid, or a JWKS URL (https; fetched once now)')
      .option('--jwk <file>', 'a JSON file holding one public JWK with a kid')
      .option('--pem <file>', 'a PEM public key (P-256 or Ed25519), as openssl writes it')
      .option('--kid <kid>', 'with --pem: the key id your tokens name')
      .option('--jwks-url <url>', 'an https URL serving your JWKS'),
  ).action(async (opts: Options) => {
    const input = inputOf(io, opts)
    await withData(opts, io, async (ctx) => {
      const key = await service(ctx).add(opts.app, opts.platform, input, ctx.actor)
      if (opts.json) return printJson(io, { public_key: key })
      io.stdout(`Added ${describeKey(key)}`)
      io.stderr('Running servers verify identity tokens with it within 2 s.\n')
    })
  })
  scoped(command.command('list').description('show the public keys of a platform')).action(async (opts: Options) => {
    await withData(opts, io, async (ctx) => {
      const keys = await service(ctx).list(opts.app, opts.platform)
      if (opts.json) return printJson(io, { public_keys: keys })
      if (keys.length === 0) io.stdout(`No public keys on ${opts.platform}.\n`)
      for (const key of keys) io.stdout(describeKey(key))
    })
  })
  scoped(command.command('remove').description('remove a public key, and the sessions it verified').option('--public-key-id <id>', 'the key to remove (see: verity keys public list)')).action(
    async (opts: Options) => {
      if (!opts.publicKeyId) throw usageError('keys public remove needs --public-key-id <id> (see: verity keys public list).')
      await withData(opts, io, async (ctx) => {
        await service(ctx).remove(opts.app, opts.platform, opts.publicKeyId!, ctx.actor)
        if (opts.json) return printJson(io, { removed: opts.publicKeyId })
        io.stdout(`Removed ${opts.publicKeyId}.\n`)
      })
    },
  )
  return command
}
