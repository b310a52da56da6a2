/** The token secret `npm run dev` and `npm start` make for a local database when JWT_SECRET is not set. */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { parseConfig } from '../../edge/env'
import { LOCAL_SECRET_FILE, readOrCreateLocalSecret } from '../../server/local-secret'

const scratch = mkdtempSync(join(tmpdir(), 'edgeline-secret-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

describe('the local token secret', () => {
  it('is kept in .data/jwt-secret, beside the embedded data', () => {
    expect(LOCAL_SECRET_FILE).toBe('.data/jwt-secret')
  })

  it('is made once, random and readable only by its owner, then read back unchanged at every start', () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {})
    const file = join(scratch, 'first', '.data', 'jwt-secret')
    const made = readOrCreateLocalSecret(file)
    expect(readFileSync(file, 'utf8')).toBe(`${made}\n`)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(log).toHaveBeenCalledWith(expect.stringContaining(file))
    expect(readOrCreateLocalSecret(file)).toBe(made)
    expect(log).toHaveBeenCalledTimes(1)

    const another = readOrCreateLocalSecret(join(scratch, 'second', 'jwt-secret'))
    expect(another).not.toBe(made)
    log.mockRestore()
  })

  it('is a secret the app accepts as JWT_SECRET (at least 32 bytes)', () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {})
    const secret = readOrCreateLocalSecret(join(scratch, 'third', 'jwt-secret'))
    log.mockRestore()
    expect(new TextEncoder().encode(secret).length).toBeGreaterThanOrEqual(32)
    expect(parseConfig({ JWT_SECRET: secret }).auth.secrets).toEqual([secret])
  })
})
