import { describe, expect, it } from 'vitest'
import { FailureWindow } from './failure-window.js'
import { answerRefusal, ClusterFailureLimit, type FailureLimitMessage } from './cluster-failure-limit.js'

describe('ClusterFailureLimit', () => {
  it('asks the primary, whose one window counts for every worker', async () => {
    const primary = new FailureWindow({ limit: 3 })
    const workers: ClusterFailureLimit[] = []
    // The IPC channel: a question goes to the primary, its answer back to the worker that asked.
    const channel = (index: number) => (message: FailureLimitMessage) => {
      if (message.verity !== 'refuse') return false
      const answer = answerRefusal(primary, message, 1_000)
      setImmediate(() => workers[index]!.answered(answer as Extract<FailureLimitMessage, { verity: 'refused' }>))
      return true
    }
    workers.push(new ClusterFailureLimit(channel(0), new FailureWindow({ limit: 3 })), new ClusterFailureLimit(channel(1), new FailureWindow({ limit: 3 })))
    const waits = await Promise.all(Array.from({ length: 8 }, (_, i) => workers[i % 2]!.refuse('victim', 1_000)))
    expect(waits.filter((w) => w === 0)).toHaveLength(3)
    expect(waits.filter((w) => w === 60)).toHaveLength(5)
  })

  it('counts in its own window when the primary cannot be reached, or does not answer in time', async () => {
    const unreachable = new ClusterFailureLimit(() => false, new FailureWindow({ limit: 1 }))
    expect(await unreachable.refuse('k', 0)).toBe(0)
    expect(await unreachable.refuse('k', 0)).toBe(60)
    const silent = new ClusterFailureLimit(() => true, new FailureWindow({ limit: 1 }))
    expect(await silent.refuse('k', 0)).toBe(0)
  })
})
