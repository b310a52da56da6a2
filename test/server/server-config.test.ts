/** The production server's own settings (server/config.ts): what each variable and flag accepts, and what it refuses. */
import { describe, expect, it } from 'vitest'
import { readServerConfig } from '../../server/config'

/** The message of the error `readServerConfig` throws for these settings. */
function refusal(argv: string[], env: Record<string, string | undefined>): string {
  try {
    readServerConfig(argv, env)
  } catch (error) {
    return (error as Error).message
  }
  throw new Error('the settings were accepted')
}

describe('the production server settings', () => {
  it('default to port 3000 on every interface, no trusted proxy and a 10 s drain', () => {
    expect(readServerConfig([], {})).toEqual({
      port: 3000,
      hostname: '0.0.0.0',
      trustProxy: { kind: 'none' },
      shutdownTimeoutMs: 10_000,
    })
  })

  it('treat empty PORT, HOSTNAME and SHUTDOWN_TIMEOUT_MS as unset', () => {
    expect(readServerConfig([], { PORT: '', HOSTNAME: '', SHUTDOWN_TIMEOUT_MS: '' })).toEqual({
      port: 3000,
      hostname: '0.0.0.0',
      trustProxy: { kind: 'none' },
      shutdownTimeoutMs: 10_000,
    })
  })

  it('take -p as --port, and any port from 0 (a free one) to 65535', () => {
    expect(readServerConfig(['-p', '0'], {}).port).toBe(0)
    expect(readServerConfig(['--port', '65535'], {}).port).toBe(65535)
    expect(readServerConfig([], { PORT: '8080' }).port).toBe(8080)
  })

  it('refuse a port out of range or not a whole number, naming PORT', () => {
    for (const port of ['-1', '65536', '80.5', 'http']) {
      expect(refusal([`--port=${port}`], {})).toMatch(/^Invalid server settings:\n {2}PORT: /)
    }
  })

  it('refuse an unknown flag rather than ignore it', () => {
    expect(() => readServerConfig(['--prot', '80'], {})).toThrow(/--prot/)
  })

  it('trim HOSTNAME, and refuse one that is only blanks', () => {
    expect(readServerConfig([], { HOSTNAME: ' 127.0.0.1 ' }).hostname).toBe('127.0.0.1')
    expect(refusal(['--hostname', '   '], {})).toMatch(/^Invalid server settings:\n {2}HOSTNAME: /)
  })

  it('read none, false and an empty TRUST_PROXY as trusting no proxy', () => {
    for (const value of ['none', 'false', '', '  none  ']) {
      expect(readServerConfig([], { TRUST_PROXY: value }).trustProxy).toEqual({ kind: 'none' })
    }
  })

  it('read TRUST_PROXY as hops only when it is all digits, and otherwise as a trimmed list of addresses', () => {
    expect(readServerConfig([], { TRUST_PROXY: ' 3 ' }).trustProxy).toEqual({ kind: 'hops', hops: 3 })
    expect(readServerConfig([], { TRUST_PROXY: '0' }).trustProxy).toEqual({ kind: 'hops', hops: 0 })
    expect(readServerConfig([], { TRUST_PROXY: '12' }).trustProxy).toEqual({ kind: 'hops', hops: 12 })
    expect(readServerConfig([], { TRUST_PROXY: '10.0.0.1' }).trustProxy).toEqual({
      kind: 'addresses',
      addresses: ['10.0.0.1'],
    })
    // Digits with something else around them are an address, not a number of hops.
    expect(readServerConfig([], { TRUST_PROXY: 'a2' }).trustProxy).toEqual({
      kind: 'addresses',
      addresses: ['a2'],
    })
    expect(readServerConfig([], { TRUST_PROXY: '2a' }).trustProxy).toEqual({
      kind: 'addresses',
      addresses: ['2a'],
    })
    expect(readServerConfig([], { TRUST_PROXY: 'loopback ,  10.0.0.0/8' }).trustProxy).toEqual({
      kind: 'addresses',
      addresses: ['loopback', '10.0.0.0/8'],
    })
  })

  it('refuse TRUST_PROXY=true with the reason, on a line of its own', () => {
    expect(refusal([], { TRUST_PROXY: 'true' })).toBe(
      'Invalid server settings:\n  TRUST_PROXY: true would believe any client; give the number of proxies or their addresses',
    )
  })

  it('take SHUTDOWN_TIMEOUT_MS from 0 to 10 minutes, in whole milliseconds', () => {
    expect(readServerConfig([], { SHUTDOWN_TIMEOUT_MS: '0' }).shutdownTimeoutMs).toBe(0)
    expect(readServerConfig([], { SHUTDOWN_TIMEOUT_MS: '600000' }).shutdownTimeoutMs).toBe(600_000)
    for (const value of ['-1', '600001', '1.5', 'soon']) {
      expect(refusal([], { SHUTDOWN_TIMEOUT_MS: value })).toMatch(
        /^Invalid server settings:\n {2}SHUTDOWN_TIMEOUT_MS: /,
      )
    }
  })

  it('name every bad setting at once, one per line', () => {
    const lines = refusal(['--port', '99999'], { TRUST_PROXY: 'true', SHUTDOWN_TIMEOUT_MS: 'x' }).split('\n')
    expect(lines[0]).toBe('Invalid server settings:')
    expect(lines.slice(1).map((line) => line.split(':')[0])).toEqual([
      '  PORT',
      '  TRUST_PROXY',
      '  SHUTDOWN_TIMEOUT_MS',
    ])
  })
})
