import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { createLogger } from './create-logger.js'

describe('createLogger', () => {
  it('keeps a database error\'s code and message but not its detail, which quotes the refused row', async () => {
    const lines: string[] = []
    const logger = createLogger('info', new Writable({ write(chunk: Buffer, _enc, done) { lines.push(chunk.toString()); done() } }))
    const error = Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505', detail: 'Key (email)=(ada@example.com) already exists.' })
    logger.error({ err: error }, 'could not store')
    logger.warn({ context: { err: error } }, 'nested')
    await new Promise((resolve) => setImmediate(resolve))
    const text = lines.join('')
    expect(text).not.toContain('ada@example.com')
    const first = JSON.parse(lines[0]!)
    expect(first.err).toMatchObject({ code: '23505', message: 'duplicate key value violates unique constraint' })
  })
})
