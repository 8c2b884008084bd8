import { describe, expect, it } from 'vitest'
import { VerityError } from '../errors/verity-error.js'
import { isStorageRefusal, isStorageUnavailable } from './storage-errors.js'

const pgError = (code: string, message = 'x') => Object.assign(new Error(message), { code, severity: 'FATAL' })

describe('isStorageUnavailable: what becomes 503 unavailable', () => {
  it.each([
    ['connection refused', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['connection reset', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })],
    ['admin shutdown (57P01), as pg reports a fast shutdown', pgError('57P01', 'terminating connection due to administrator command')],
    ['the database is starting up or shutting down (57P03)', pgError('57P03', 'the database system is shutting down')],
    ['too many connections (53300)', pgError('53300')],
    ['statement timeout (57014)', pgError('57014', 'canceling statement due to statement timeout')],
    ['a write on a read-only standby (25006)', pgError('25006')],
    ["pg's pool timeout", new Error('timeout exceeded when trying to connect')],
    ["pg's lost connection", new Error('Connection terminated unexpectedly')],
    ['a client that broke earlier', new Error('Client has encountered a connection error and is not queryable')],
    ['localhost refused on ::1 and 127.0.0.1 (AggregateError)', new AggregateError([Object.assign(new Error('a'), { code: 'ECONNREFUSED' }), Object.assign(new Error('b'), { code: 'ECONNREFUSED' })])],
    ['a wrapped cause', new Error('query failed', { cause: pgError('08006') })],
    ['SQLite busy past the timeout', Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' })],
  ])('%s', (_, error) => {
    expect(isStorageUnavailable(error)).toBe(true)
  })

  it.each([
    ['a unique violation (a bug or a race, not an outage)', pgError('23505')],
    ['a syntax error', pgError('42601')],
    ['a refusal', new VerityError('last_active_secret')],
    ['a plain error', new TypeError('nope')],
    ['not an error', 'ECONNREFUSED'],
    ['null', null],
  ])('not: %s', (_, error) => {
    expect(isStorageUnavailable(error)).toBe(false)
  })
})

describe('isStorageRefusal: rows the database will never accept (a flush drops them)', () => {
  it.each([
    ['a NUL in text on PostgreSQL (22021)', pgError('22021', 'invalid byte sequence for encoding "UTF8": 0x00'), true],
    ['a NOT NULL violation on PostgreSQL (23502)', pgError('23502'), true],
    ['a NOT NULL violation on SQLite', Object.assign(new Error('NOT NULL constraint failed'), { code: 'SQLITE_CONSTRAINT_NOTNULL' }), true],
    ['an outage is retried, not dropped', pgError('08006'), false],
    ['a busy SQLite is retried', Object.assign(new Error('busy'), { code: 'SQLITE_BUSY' }), false],
    ['an error without a code', new Error('x'), false],
  ])('%s', (_name, error, refused) => {
    expect(isStorageRefusal(error)).toBe(refused)
  })
})
