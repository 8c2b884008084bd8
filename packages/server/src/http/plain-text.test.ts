import { describe, expect, it } from 'vitest'
import { bodyControlCharacter, urlControlCharacter } from './plain-text.js'

describe('control characters in request text', () => {
  it('names the first path parameter or query entry that holds one', () => {
    expect(urlControlCharacter([['app_id', 'app_1'], ['platform', 'web']])).toBeNull()
    expect(urlControlCharacter([['app_id', 'a\u0000']])).toBe('"app_id"')
    expect(urlControlCharacter([['cursor', '\u0085']])).toBe('"cursor"')
    expect(urlControlCharacter([['x\ty', '1']])).toBe('a query parameter name')
    expect(urlControlCharacter([['name', 'ünïcödé 😀 \u2028']])).toBeNull()
  })

  it('walks every string and field name of a body, allowing tabs and line breaks', () => {
    expect(bodyControlCharacter({ body: 'a\tb\r\nc', n: 1, list: [null, true, 'ok'] })).toBeNull()
    expect(bodyControlCharacter('\u0000')).toBe('the body')
    expect(bodyControlCharacter({ a: { b: ['x', 'y\u0007'] } })).toBe('"a.b.1"')
    expect(bodyControlCharacter({ a: { 'k\u0000': 1 } })).toBe('a field name in "a"')
    expect(bodyControlCharacter(JSON.parse('{"__proto__": {"x": "\\u0000"}}'))).toBe('"__proto__.x"')
  })

  it('survives a body nested far deeper than the stack', () => {
    let deep: unknown = 'end\u0000'
    for (let i = 0; i < 200_000; i++) deep = [deep]
    expect(bodyControlCharacter(deep)).toMatch(/^"0\.0\.0/)
  })
})
