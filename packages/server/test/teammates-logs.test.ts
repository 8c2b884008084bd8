// Every credential of the teammate flows is a canary: none may appear in a log line (at debug), an
// error message or an audit entry.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { base32Decode, totp } from '../src/crypto/totp.js'
import { backendEnv, BACKENDS } from './support/backends.js'
import { addTeammate, GOOD_PASSWORD, signIn, signInConfirmed, TEST_SCRYPT_ENV } from './support/teammates.js'
import { startTestServer, type TestServer } from './support/test-server.js'

describe.each(BACKENDS)('no teammate credential in logs, errors or the audit log (%s)', (backend) => {
  let server: TestServer
  const lines: string[] = []
  beforeAll(async () => {
    server = await startTestServer({ ...(await backendEnv(backend)), ...TEST_SCRYPT_ENV, VERITY_ADMIN_GUESS_RATE: '1000' }, undefined, { logLines: lines })
  })
  afterAll(() => server.close())

  it('holds for passwords, cookies, CSRF tokens, invite links, TOTP secrets, recovery codes and vpt_ tokens', async () => {
    const canaries: string[] = [GOOD_PASSWORD]
    const errors: unknown[] = []
    const note = (res: { status: number; body: any }) => {
      if (res.status >= 400) errors.push(res.body)
      return res
    }
    await addTeammate(server, 'canary.owner@example.com', 'owner')
    canaries.push('wrong-password-canary-1')
    note(await server.request('POST', '/admin/v1/session', { body: { email: 'canary.owner@example.com', password: 'wrong-password-canary-1' } }))
    note(await server.request('POST', '/admin/v1/session', { body: { email: 'unknown.canary@example.com', password: 'wrong-password-canary-1' } }))
    const owner = await signInConfirmed(server, 'canary.owner@example.com')
    canaries.push(owner.cookie.split('=')[1]!, owner.csrf)
    note(await owner.call('POST', '/admin/v1/apps', { name: 'x', environment: 'test' }, { csrf: 'csrf_forged-canary-value' }))
    canaries.push('csrf_forged-canary-value')

    const invited = note(await owner.call('POST', '/admin/v1/teammates', { email: 'canary.agent@example.com', role: 'agent' }))
    const inviteToken = invited.body.invite_url.split('#invite=')[1] as string
    canaries.push(inviteToken)
    canaries.push('weak-canary')
    note(await server.request('POST', '/admin/v1/invites/accept', { body: { token: inviteToken, password: 'weak-canary' } }))
    canaries.push('agent-canary-passphrase-5')
    note(await server.request('POST', '/admin/v1/invites/accept', { body: { token: inviteToken, password: 'agent-canary-passphrase-5' } }))
    note(await server.request('POST', '/admin/v1/invites/accept', { body: { token: inviteToken, password: 'agent-canary-passphrase-5' } }))

    const agent = await signIn(server, 'canary.agent@example.com', 'agent-canary-passphrase-5')
    canaries.push(agent.cookie.split('=')[1]!, agent.csrf)
    const begun = note(await agent.call('POST', '/admin/v1/me/totp'))
    canaries.push(begun.body.secret, begun.body.otpauth_url)
    const key = base32Decode(begun.body.secret)
    const codes = note(await agent.call('POST', '/admin/v1/me/totp/confirm', { code: totp(key, Date.now() / 1000) })).body.recovery_codes as string[]
    canaries.push(...codes)
    note(await server.request('POST', '/admin/v1/session', { body: { email: 'canary.agent@example.com', password: 'agent-canary-passphrase-5', totp: codes[0] } }))
    note(await server.request('POST', '/admin/v1/session', { body: { email: 'canary.agent@example.com', password: 'agent-canary-passphrase-5', totp: codes[0] } }))
    note(await agent.call('POST', '/admin/v1/session/confirm', { password: 'agent-canary-passphrase-5' }))
    const token = note(await agent.call('POST', '/admin/v1/me/tokens', { name: 'bot' })).body.token.value as string
    canaries.push(token)
    note(await server.request('GET', '/admin/v1/apps', { token }))
    note(await server.request('GET', '/admin/v1/apps', { token: `${token}x` }))
    canaries.push('changed-canary-passphrase-6')
    note(await agent.call('POST', '/admin/v1/me/password', { current_password: 'agent-canary-passphrase-5', new_password: 'changed-canary-passphrase-6' }))
    note(await agent.call('DELETE', '/admin/v1/session'))

    const audit = JSON.stringify((await server.admin('GET', '/admin/v1/audit-log?limit=100')).body)
    expect(audit).toContain('teammate:canary.owner@example.com')
    expect(lines.length).toBeGreaterThan(20)
    const logs = lines.join('\n')
    const errorText = JSON.stringify(errors)
    expect(errors.length).toBeGreaterThan(5)
    for (const canary of canaries) {
      expect(canary.length).toBeGreaterThan(8)
      expect(logs.includes(canary), `log holds ${canary}`).toBe(false)
      expect(audit.includes(canary), `audit holds ${canary}`).toBe(false)
      expect(errorText.includes(canary), `an error holds ${canary}`).toBe(false)
    }
    expect(logs).not.toMatch(/vpt_|vss_|vin_|csrf_/)
    // Sign-in attempts are logged, by outcome, without the email.
    expect(lines.filter((l) => l.includes('"sign-in refused"')).length).toBeGreaterThan(2)
    expect(lines.filter((l) => l.includes('"teammate signed in"')).length).toBeGreaterThan(1)
    expect(lines.filter((l) => l.includes('sign') && l.includes('@example.com'))).toEqual([])
    expect(audit).not.toMatch(/vpt_|vss_|vin_|csrf_|scrypt\$/)
  })
})
