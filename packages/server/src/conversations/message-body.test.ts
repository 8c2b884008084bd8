import { describe, expect, it } from 'vitest'
import { MAX_MESSAGE_CHARACTERS, messageBodyProblem } from './message-body.js'

describe('messageBodyProblem', () => {
  it.each([
    ['hello'],
    ['x'],
    ['  padded  '],
    ['line one\nline two\r\n\tindented'],
    ['x'.repeat(MAX_MESSAGE_CHARACTERS)],
    ['😀'.repeat(MAX_MESSAGE_CHARACTERS)],
    ['é'.repeat(MAX_MESSAGE_CHARACTERS)],
  ])('accepts %#', (body) => {
    expect(messageBodyProblem(body)).toBeNull()
  })

  it.each([
    ['', /empty/],
    ['   ', /empty/],
    ['\n\t \r\n', /empty/],
    ['\u00a0\u2003', /empty/],
    ['x'.repeat(MAX_MESSAGE_CHARACTERS + 1), /at most 10000/],
    ['😀'.repeat(MAX_MESSAGE_CHARACTERS + 1), /at most 10000/],
    ['a\u0000b', /control/],
    ['a\u001bb', /control/],
    ['a\u007fb', /control/],
    ['a\ud800b', /Unicode/],
  ])('refuses %#', (body, message) => {
    expect(messageBodyProblem(body)).toMatch(message)
  })
})
