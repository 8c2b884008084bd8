import { describe, expect, it } from 'vitest'
import { parseServerConfig, parseStorageConfig } from './server-config.js'

describe('database pool settings, the fail-closed bound and the metrics token', () => {
  it('has the documented defaults', () => {
    expect(parseStorageConfig({}, {}, '/srv')).toMatchObject({ dbPoolMax: 10, dbConnectTimeoutMs: 5_000, dbStatementTimeoutMs: 10_000 })
    expect(parseServerConfig({}, {}, '/srv')).toMatchObject({ configMaxAgeMs: 30_000, metricsToken: null })
  })

  it('reads them from the environment', () => {
    const env = {
      VERITY_DB_POOL_MAX: '25',
      VERITY_DB_CONNECT_TIMEOUT_MS: '2000',
      VERITY_DB_STATEMENT_TIMEOUT_MS: '30000',
      VERITY_CONFIG_MAX_AGE_MS: '3000',
      VERITY_METRICS_TOKEN: 'a-metrics-token-0123',
    }
    expect(parseServerConfig({}, env)).toMatchObject({
      dbPoolMax: 25,
      dbConnectTimeoutMs: 2_000,
      dbStatementTimeoutMs: 30_000,
      configMaxAgeMs: 3_000,
      metricsToken: 'a-metrics-token-0123',
    })
  })

  it.each([
    [{ VERITY_DB_POOL_MAX: '0' }, /database pool size: 0 from VERITY_DB_POOL_MAX \(environment\) is outside 1–1000\. Set VERITY_DB_POOL_MAX\./],
    [{ VERITY_DB_POOL_MAX: 'ten' }, /"ten" from VERITY_DB_POOL_MAX \(environment\) is not a whole number\. Set VERITY_DB_POOL_MAX/],
    [{ VERITY_DB_CONNECT_TIMEOUT_MS: '5s' }, /not a whole number\. Set VERITY_DB_CONNECT_TIMEOUT_MS/],
    [{ VERITY_DB_STATEMENT_TIMEOUT_MS: '10' }, /outside 100–3600000\. Set VERITY_DB_STATEMENT_TIMEOUT_MS/],
    // The bound can be lowered (tests), never raised: 30 s is the contract.
    [{ VERITY_CONFIG_MAX_AGE_MS: '60000' }, /outside 1000–30000\. Set VERITY_CONFIG_MAX_AGE_MS/],
    [{ VERITY_METRICS_TOKEN: 'short' }, /at least 16 characters.*Set VERITY_METRICS_TOKEN/],
  ])('refuses %o', (env, message) => {
    expect(() => parseServerConfig({}, env)).toThrow(message)
  })

  it('the CLI commands that open storage read the pool settings too', () => {
    expect(parseStorageConfig({ databaseUrl: 'postgres://db/verity' }, { VERITY_DB_POOL_MAX: '3' })).toMatchObject({ databaseUrl: 'postgres://db/verity', dbPoolMax: 3 })
  })
})
