import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { SecretBox, secretAad } from './secret-box.js'

describe('SecretBox', () => {
  const box = new SecretBox(randomBytes(32))

  it('opens what it sealed, and seals equal secrets differently', () => {
    const a = box.seal('vsk_value', secretAad('app_1', 'web', 'sec_1'))
    const b = box.seal('vsk_value', secretAad('app_1', 'web', 'sec_1'))
    expect(a).not.toBe(b)
    expect(a).not.toContain('vsk_value')
    expect(box.open(a, secretAad('app_1', 'web', 'sec_1'))).toBe('vsk_value')
  })

  it('refuses a ciphertext moved to another app, platform or secret id', () => {
    const sealed = box.seal('vsk_value', secretAad('app_1', 'web', 'sec_1'))
    expect(box.open(sealed, secretAad('app_2', 'web', 'sec_1'))).toBeNull()
    expect(box.open(sealed, secretAad('app_1', 'ios', 'sec_1'))).toBeNull()
    expect(box.open(sealed, secretAad('app_1', 'web', 'sec_2'))).toBeNull()
  })

  it('refuses another key and damaged ciphertext', () => {
    const sealed = box.seal('vsk_value', 'aad')
    expect(new SecretBox(randomBytes(32)).open(sealed, 'aad')).toBeNull()
    expect(box.open(`${sealed.slice(0, -2)}AA`, 'aad')).toBeNull()
    expect(box.open('v2.x.y.z', 'aad')).toBeNull()
  })
})
