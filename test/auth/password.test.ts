/** Password hashes: salted, self-describing, verified in constant time, and upgradable. */
import { describe, expect, it } from 'vitest'
import { hashPassword, needsRehash, PBKDF2_ITERATIONS, verifyPassword } from '../../edge/auth/password'

describe('password hashing', () => {
  it('verifies the right password and refuses a wrong one', async () => {
    const stored = await hashPassword('correct horse battery staple')
    expect(await verifyPassword('correct horse battery staple', stored)).toBe(true)
    expect(await verifyPassword('correct horse battery stapler', stored)).toBe(false)
  })

  it('records the scheme and iteration count, and never contains the password', async () => {
    const stored = await hashPassword('hunter2-hunter2')
    // 100,000 as the README and decision 0006 say: a literal, so lowering the constant fails here.
    expect(stored).toMatch(/^pbkdf2-sha256\$100000\$[\w-]{22}\$[\w-]{43}$/)
    expect(PBKDF2_ITERATIONS).toBe(100_000)
    expect(stored).not.toContain('hunter2')
  })

  it('salts every hash, so one password hashes differently each time', async () => {
    expect(await hashPassword('same password')).not.toBe(await hashPassword('same password'))
  })

  it('asks for a rehash of hashes made with fewer iterations than today, and still verifies them', async () => {
    const weak = await hashPassword('old password', 1_000)
    expect(needsRehash(weak)).toBe(true)
    expect(await verifyPassword('old password', weak)).toBe(true)
    expect(needsRehash(await hashPassword('new password'))).toBe(false)
  })

  it('refuses a stored value that is not one of our hashes', async () => {
    expect(await verifyPassword('x', 'plain-text-password')).toBe(false)
    expect(await verifyPassword('x', 'pbkdf2-sha256$abc$salt$hash')).toBe(false)
  })
})
