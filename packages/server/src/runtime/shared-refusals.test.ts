import { describe, expect, it } from 'vitest'
import { FailureLimiter, failureLimitKey } from '../verification/failure-limiter.js'
import { SharedRefusals, type RefusalTransport } from './shared-refusals.js'

/** An in-memory bus standing in for NOTIFY or IPC: every batch reaches every process, the sender too. */
function bus() {
  const handlers: Array<(batch: string) => void> = []
  const sent: string[] = []
  const transport = (): RefusalTransport => ({
    send: (batch) => {
      sent.push(batch)
      for (const h of handlers) h(batch)
    },
    onReceive: (h) => handlers.push(h),
  })
  return { transport, sent }
}

describe('SharedRefusals', () => {
  const key = failureLimitKey('app_1', 'web', 'uid:victim')

  it('adds up the refusals of every process, so the limit holds across them', () => {
    const { transport } = bus()
    const a = new SharedRefusals({ limiter: new FailureLimiter({ limit: 4 }), transport: transport(), processId: 'a' })
    const b = new SharedRefusals({ limiter: new FailureLimiter({ limit: 4 }), transport: transport(), processId: 'b' })
    a.recordRefusal(key, 1_000)
    a.recordRefusal(key, 1_001)
    b.recordRefusal(key, 1_002)
    b.recordRefusal(key, 1_003)
    expect(a.retryAfterSeconds(key, 1_004)).toBe(0) // not flushed yet: each has seen only its own
    a.flush()
    b.flush()
    expect(a.retryAfterSeconds(key, 1_004)).toBeGreaterThan(0)
    expect(b.retryAfterSeconds(key, 1_004)).toBeGreaterThan(0)
    expect(a.retryAfterSeconds(failureLimitKey('app_1', 'ios', 'uid:victim'), 1_004)).toBe(0)
  })

  it('does not count its own refusals twice when its batch comes back', () => {
    const { transport } = bus()
    const a = new SharedRefusals({ limiter: new FailureLimiter({ limit: 3 }), transport: transport(), processId: 'a' })
    a.recordRefusal(key, 1)
    a.recordRefusal(key, 2)
    a.flush()
    expect(a.retryAfterSeconds(key, 3)).toBe(0)
  })

  it('cuts a flood into batches under the NOTIFY payload limit, and ignores garbage', () => {
    const { transport, sent } = bus()
    const a = new SharedRefusals({ limiter: new FailureLimiter({ limit: 10 }), transport: transport(), processId: 'a' })
    const received = new FailureLimiter({ limit: 1 })
    new SharedRefusals({ limiter: received, transport: transport(), processId: 'b' })
    for (let i = 0; i < 2_000; i++) a.recordRefusal(failureLimitKey('app_1', 'web', `uid:user-${i}`), i)
    a.flush()
    expect(sent.length).toBeGreaterThan(5)
    for (const batch of sent) expect(Buffer.byteLength(batch)).toBeLessThan(8_000)
    expect(received.retryAfterSeconds(failureLimitKey('app_1', 'web', 'uid:user-1999'), 2_000)).toBeGreaterThan(0)
    for (const garbage of ['', 'null', '{"from":"x","refusals":[[1,2]]}', '{"from":"x"}']) expect(() => transport().send(garbage)).not.toThrow()
  })
})
