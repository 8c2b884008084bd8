import { describe, expect, it } from 'vitest'
import { parseServerConfig } from './server-config.js'

describe('parseServerConfig', () => {
  it('has the documented defaults, and is frozen', () => {
    const config = parseServerConfig({}, {}, '/srv')
    expect(config).toMatchObject({ port: 8080, host: '127.0.0.1', dataDir: '/srv/verity-data', databaseUrl: null, adminKey: null, tokenTtlSeconds: 900, failureLimit: 10, retentionDays: 90, masterKey: null, spikeMin: 50, leakUsers: 20, profileCacheSize: 10_000 })
    expect(Object.isFrozen(config)).toBe(true)
  })

  it('allows http JWKS URLs only with VERITY_JWKS_ALLOW_HTTP=1', () => {
    expect(parseServerConfig({}, {}).jwksAllowHttp).toBe(false)
    expect(parseServerConfig({}, { VERITY_JWKS_ALLOW_HTTP: '0' }).jwksAllowHttp).toBe(false)
    expect(parseServerConfig({}, { VERITY_JWKS_ALLOW_HTTP: '1' }).jwksAllowHttp).toBe(true)
  })

  it('flags win over the environment', () => {
    expect(parseServerConfig({ retentionDays: '30' }, { VERITY_RETENTION_DAYS: '7' }).retentionDays).toBe(30)
    expect(parseServerConfig({}, { VERITY_RETENTION_DAYS: '7' }).retentionDays).toBe(7)
    expect(parseServerConfig({ port: '9000' }, { PORT: '7000' }).port).toBe(9000)
    expect(parseServerConfig({}, { PORT: '7000' }).port).toBe(7000)
  })

  it.each([
    [{ port: 'abc' }, {}, /--port or PORT/],
    [{}, { PORT: '70000' }, /--port or PORT/],
    [{}, { VERITY_ADMIN_KEY: 'short' }, /at least 32.*Set VERITY_ADMIN_KEY/],
    [{}, { VERITY_MASTER_KEY: 'abc' }, /64 hex.*Set VERITY_MASTER_KEY/],
    [{ tokenTtl: '5' }, {}, /--token-ttl or VERITY_TOKEN_TTL/],
    [{}, { VERITY_FAILURE_LIMIT: '0' }, /VERITY_FAILURE_LIMIT/],
    [{ databaseUrl: 'mysql://x' }, {}, /--database-url or DATABASE_URL/],
    [{ logLevel: 'loud' }, {}, /--log-level or LOG_LEVEL/],
    [{ retentionDays: '0' }, {}, /retention \(days\).*--retention-days or VERITY_RETENTION_DAYS/],
    [{}, { VERITY_RETENTION_DAYS: 'ninety' }, /--retention-days or VERITY_RETENTION_DAYS/],
    [{}, { VERITY_JWKS_ALLOW_HTTP: 'yes' }, /must be 1 .* or 0.*Set VERITY_JWKS_ALLOW_HTTP/],
    [{}, { VERITY_SPIKE_MIN: '0' }, /failure spike minimum.*Set VERITY_SPIKE_MIN/],
    [{}, { VERITY_SPIKE_MIN: 'many' }, /not a whole number.*Set VERITY_SPIKE_MIN/],
    [{}, { VERITY_LEAK_USERS: '-1' }, /Set VERITY_LEAK_USERS/],
    [{}, { VERITY_PROFILE_CACHE_SIZE: '-1' }, /profile cache size.*Set VERITY_PROFILE_CACHE_SIZE/],
    [{}, { VERITY_PROFILE_CACHE_SIZE: 'lots' }, /not a whole number.*Set VERITY_PROFILE_CACHE_SIZE/],
  ])('refuses %j %j with a message naming the flag and variable', (flags, env, message) => {
    expect(() => parseServerConfig(flags, env)).toThrow(message)
  })
})

describe('abuse limits', () => {
  it('have the documented defaults', () => {
    expect(parseServerConfig({}, {}).limits).toEqual({
      trustedProxies: [],
      streamsPerSession: 5,
      streamsPerClient: 200,
      clientSessionRate: 120,
      sessionWriteRate: 30,
      adminGuessRate: 20,
    })
  })

  it('read trusted proxies as a comma-separated list', () => {
    expect(parseServerConfig({}, { VERITY_TRUSTED_PROXIES: '10.0.0.0/8, ::1' }).limits.trustedProxies).toEqual(['10.0.0.0/8', '::1'])
  })

  it.each([
    [{ VERITY_TRUSTED_PROXIES: 'proxy.internal' }, /VERITY_TRUSTED_PROXIES/],
    [{ VERITY_STREAMS_PER_SESSION: '0' }, /VERITY_STREAMS_PER_SESSION/],
    [{ VERITY_STREAMS_PER_CLIENT: 'many' }, /VERITY_STREAMS_PER_CLIENT/],
    [{ VERITY_CLIENT_SESSION_RATE: '-1' }, /VERITY_CLIENT_SESSION_RATE/],
    [{ VERITY_SESSION_WRITE_RATE: '1.5' }, /VERITY_SESSION_WRITE_RATE/],
    [{ VERITY_ADMIN_GUESS_RATE: '0' }, /VERITY_ADMIN_GUESS_RATE/],
  ])('refuses %j with a message naming the variable', (env, message) => {
    expect(() => parseServerConfig({}, env)).toThrow(message)
  })
})
