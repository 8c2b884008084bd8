import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIAGNOSIS_ADVICE } from '../src/diagnosis/diagnosis-advice.js'
import { hmacHex } from './support/hmac.js'
import { runVerity } from './support/run-cli.js'
import type { TestServer } from './support/test-server.js'
import { BACKENDS, cliDataFor, startBackendServer } from './support/backends.js'

/*
 * The real built `verity` binary (run `npx tsc -b packages/server` first) on the data of a running
 * server, as an admin would use it next to production.
 */
describe.each(BACKENDS)('verity verify and rollout (%s)', (backend) => {
  let server: TestServer
  let app: Awaited<ReturnType<TestServer['createApp']>>
  let other: Awaited<ReturnType<TestServer['createApp']>>

  const verity = (...args: string[]) => verityWithInput(undefined, ...args)
  const verityWithInput = (input: string | undefined, ...args: string[]) => {
    const data = cliDataFor(server)
    return runVerity([...args, ...data.args], { env: data.env, ...(input !== undefined && { input }) })
  }
  const verify = (...args: string[]) => verity('verify', '--app', app.appId, '--platform', 'ios', ...args)
  const json = (stdout: string) => JSON.parse(stdout) as Record<string, any>

  beforeAll(async () => {
    server = await startBackendServer(backend)
    app = await server.createApp('CLI')
    other = await server.createApp('Other', 'test')
    const auth = (body: Record<string, unknown>) => server.request('POST', '/v1/messenger/auth', { body: { app_id: app.appId, platform: 'ios', ...body } })
    await auth({ user_id: 'u-1', user_hash: hmacHex(app.secrets.ios, 'u-1'), app_version: '2.0.0' })
    await auth({ user_id: 'u-2', user_hash: hmacHex(app.secrets.ios, 'u-2'), app_version: '2.0.0' })
    await auth({ user_id: 'u-3', app_version: '1.9.0' })
    await server.running.events.flush()
  })
  afterAll(() => server.close())

  describe('verity verify', () => {
    it('exits 0 when the hash verifies, naming the secret', async () => {
      const res = await verify('--user-id', 'u-1', '--hash', hmacHex(app.secrets.ios, 'u-1'), '--json')
      expect(res.code, res.stderr).toBe(0)
      expect(json(res.stdout)).toEqual({ verified: true, diagnosis: null, secret_id: app.secretIds.ios })

      const human = await verify('--email', 'e@example.com', '--hash', hmacHex(app.secrets.ios, 'e@example.com').toUpperCase())
      expect(human.code).toBe(0)
      expect(human.stdout).toContain(`Verified: the hash is valid for email "e@example.com" on ios (secret ${app.secretIds.ios})`)
    })

    it('exits 1 with the diagnosis and what to do when it does not', async () => {
      const wrongPlatform = await verify('--user-id', 'u-1', '--hash', hmacHex(app.secrets.web, 'u-1'), '--json')
      expect(wrongPlatform.code).toBe(1)
      expect(json(wrongPlatform.stdout)).toEqual({ verified: false, diagnosis: 'other_platform_secret' })

      const otherApp = await verify('--user-id', 'u-1', '--hash', hmacHex(other.secrets.android, 'u-1'), '--json')
      expect(otherApp.code).toBe(1)
      expect(json(otherApp.stdout)).toEqual({ verified: false, diagnosis: 'other_app_secret' })

      // With both, the user id is what must be hashed, as on the server.
      const human = await verify('--user-id', 'u-9', '--email', 'nine@example.com', '--hash', hmacHex(app.secrets.ios, 'nine@example.com'))
      expect(human.code).toBe(1)
      expect(human.stdout).toContain('Not verified: the hash is not valid for user_id "u-9" on ios.')
      expect(human.stdout).toContain('Diagnosis: email_hashed_instead_of_user_id')
      expect(human.stdout).toContain(DIAGNOSIS_ADVICE.email_hashed_instead_of_user_id.fix)
    })

    it('exits 2 on bad usage and 3 on an unknown app, with a JSON error under --json', async () => {
      for (const args of [
        ['--hash', 'abc', '--json'], // no identity
        ['--user-id', 'u-1', '--json'], // no hash
        ['--user-id', 'bad\tid', '--hash', 'abc', '--json'], // an identifier the server refuses
      ]) {
        const res = await verify(...args)
        expect(res.code, args.join(' ')).toBe(2)
        expect(json(res.stdout).error.code).toBe('invalid_usage')
      }
      const badPlatform = await verity('verify', '--app', app.appId, '--platform', 'windows', '--user-id', 'u-1', '--hash', 'abc', '--json')
      expect(badPlatform.code).toBe(2)
      expect(json(badPlatform.stdout).error.code).toBe('invalid_usage')

      const unknownApp = await verity('verify', '--app', 'app_00000000000000000000000000', '--platform', 'ios', '--user-id', 'u-1', '--hash', 'abc', '--json')
      expect(unknownApp.code).toBe(3)
      expect(json(unknownApp.stdout)).toEqual({ error: { code: 'app_not_found', message: expect.any(String) } })
    })
  })

  describe('verity rollout', () => {
    it('--json prints the API document', async () => {
      const res = await verity('rollout', '--app', app.appId, '--platform', 'ios', '--json')
      expect(res.code, res.stderr).toBe(0)
      const api = await server.admin('GET', `/admin/v1/apps/${app.appId}/platforms/ios/rollout`)
      expect(json(res.stdout)).toEqual(api.body)
      expect(api.body.totals).toEqual({ users: 3, verified: 2, missing: 1, invalid: 0 })

      const month = await verity('rollout', '--app', app.appId, '--platform', 'ios', '--days', '30', '--json')
      expect(json(month.stdout)).toEqual((await server.admin('GET', `/admin/v1/apps/${app.appId}/platforms/ios/rollout?days=30`)).body)
    })

    it('prints a table with a bar per app version for people', async () => {
      const res = await verity('rollout', '--app', app.appId, '--platform', 'ios')
      expect(res.code).toBe(0)
      const lines = res.stdout.split('\n')
      expect(lines.find((l) => l.startsWith('2.0.0'))).toMatch(/█+ 100%$/)
      expect(lines.find((l) => l.startsWith('1.9.0'))).toMatch(/·+ 0%$/)
      expect(res.stdout).toContain('Enforcing would refuse 1 of them, on app versions: 1.9.0.')
    })

    it('refuses a bad window (2) and an unknown app (3)', async () => {
      const bad = await verity('rollout', '--app', app.appId, '--platform', 'ios', '--days', '0', '--json')
      expect(bad.code).toBe(2)
      expect(json(bad.stdout).error.code).toBe('invalid_request')
      const unknown = await verity('rollout', '--app', 'app_00000000000000000000000000', '--platform', 'ios', '--json')
      expect(unknown.code).toBe(3)
      expect(json(unknown.stdout).error.code).toBe('app_not_found')
    })
  })

  describe('verity enforce on, without a terminal', () => {
    const enforced = async () => (await server.admin('GET', `/admin/v1/apps/${app.appId}`)).body.app.platforms.ios.enforced as boolean

    it('enforces nothing and exits 1 when users would be refused, even if stdin says "y"', async () => {
      const res = await verity('enforce', 'on', '--app', app.appId, '--platform', 'ios', '--json')
      expect(res.code).toBe(1)
      expect(json(res.stdout)).toEqual({ enforced: false, changed: false, forecast: { would_be_refused: 1, app_versions: ['1.9.0'] } })
      // A pipe is not a person: "y" on stdin is not a confirmation.
      const piped = await verityWithInput('y\n', 'enforce', 'on', '--app', app.appId, '--platform', 'ios')
      expect(piped.code).toBe(1)
      expect(piped.stdout).toContain('Enforcing would refuse 1 of them')
      expect(piped.stderr).toContain('--yes')
      expect(await enforced()).toBe(false)
    })

    it('enforces with --yes', async () => {
      const res = await verity('enforce', 'on', '--app', app.appId, '--platform', 'ios', '--yes', '--json')
      expect(res.code, res.stderr).toBe(0)
      expect(json(res.stdout)).toEqual({ enforced: true, changed: true, forecast: { would_be_refused: 1, app_versions: ['1.9.0'] } })
      expect(await enforced()).toBe(true)
    })

    it('enforce on an enforced platform says so and succeeds, without a terminal or --yes (idempotent)', async () => {
      const res = await verity('enforce', 'on', '--app', app.appId, '--platform', 'ios', '--json')
      expect(res.code, res.stderr).toBe(0)
      expect(json(res.stdout)).toEqual({ enforced: true, changed: false, forecast: { would_be_refused: 1, app_versions: ['1.9.0'] } })
      const human = await verity('enforce', 'on', '--app', app.appId, '--platform', 'ios')
      expect(human.code, human.stderr).toBe(0)
      expect(human.stdout).toBe('ios is already enforced. Nothing changed.\n')
      expect(human.stderr).toBe('')
      expect(await enforced()).toBe(true)
      // And off twice: the second says so too.
      expect((await verity('enforce', 'off', '--app', app.appId, '--platform', 'ios')).code).toBe(0)
      const again = await verity('enforce', 'off', '--app', app.appId, '--platform', 'ios')
      expect([again.code, again.stdout]).toEqual([0, 'ios is already not enforced. Nothing changed.\n'])
      expect(await enforced()).toBe(false)
    })
  })
})
