// The Server-Sent Events parser on its own: the WHATWG rules that a byte stream split anywhere
// must still obey.
import { describe, expect, it } from 'vitest'

import { createSseParser, type SseEvent } from '../src/parse-sse.js'

function parse(chunks: string[]): { events: SseEvent[]; retries: number[]; ids: (string | undefined)[] } {
  const events: SseEvent[] = []
  const retries: number[] = []
  const ids: (string | undefined)[] = []
  const feed = createSseParser(
    (event) => events.push(event),
    (ms) => retries.push(ms),
    (id) => ids.push(id),
  )
  for (const chunk of chunks) feed(chunk)
  return { events, retries, ids }
}

const stream = 'id: 1\nevent: message\ndata: {"a":1}\n\n: keep-alive\n\nid: 2\ndata: line one\ndata: line two\n\nretry: 2500\n\n'

describe('createSseParser', () => {
  it('reads events, ids, multi-line data, comments and retry', () => {
    const { events, retries } = parse([stream])
    expect(events).toEqual([
      { type: 'message', data: '{"a":1}', id: '1' },
      { type: 'message', data: 'line one\nline two', id: '2' },
    ])
    expect(retries).toEqual([2500])
  })

  it('gives the same result whatever the chunking, one character at a time included', () => {
    const whole = parse([stream])
    expect(parse(stream.split(''))).toEqual(whole)
    for (let cut = 1; cut < stream.length; cut++) expect(parse([stream.slice(0, cut), stream.slice(cut)])).toEqual(whole)
  })

  it('accepts CRLF and lone CR line ends, even with CRLF split across chunks', () => {
    const crlf = stream.replace(/\n/g, '\r\n')
    const cr = stream.replace(/\n/g, '\r')
    expect(parse([crlf])).toEqual(parse([stream]))
    expect(parse(crlf.split(''))).toEqual(parse([stream]))
    // A CR at the very end of the input may still become CRLF: that last block waits for a byte.
    const { events, retries } = parse([stream])
    expect(parse(cr.split(''))).toMatchObject({ events, retries })
    expect(parse([...cr.split(''), 'x']).ids).toEqual(parse([stream]).ids)
  })

  it('names the event type, keeps one space after the colon only, and strips a leading BOM', () => {
    const { events } = parse(['\uFEFFevent: reply\ndata:  two spaces\ndata\n\n'])
    expect(events).toEqual([{ type: 'reply', data: ' two spaces\n', id: undefined }])
  })

  it('dispatches nothing for an event without data or an unfinished one, and ignores ids with NUL', () => {
    const { events } = parse(['id: 5\n\nid: 6\u0000\ndata: x\n\ndata: unfinished\n'])
    expect(events).toEqual([{ type: 'message', data: 'x', id: '5' }])
  })

  it('moves the resume position at the end of every block, a block with an id and no data included', () => {
    const { ids, events } = parse([': connected\n\nid: msg_1\n\ndata: y\n\nid\ndata: z\n\n'])
    expect(ids).toEqual([undefined, 'msg_1', 'msg_1', ''])
    expect(events.map((e) => e.id)).toEqual(['msg_1', ''])
  })
})
