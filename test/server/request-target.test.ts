/** The production server's reading of a request target and its Host (server/request-target.ts; decision 0029). */
import { describe, expect, it } from 'vitest'
import { hostFault, originFormOf } from '../../server/request-target'

describe('originFormOf', () => {
  it.each([
    ['http://evil.example/api/users?x=1', '/api/users?x=1'],
    ['https://evil.example/login', '/login'],
    ['http://evil.example', '/'],
    ['http://evil.example?q=1', '/?q=1'],
    ['http://user:pw@evil.example:8080/users', '/users'],
    ['HTTP://EVIL.EXAMPLE/Path', '/Path'],
    ['http://evil.example//other.example/x', '//other.example/x'],
  ])('serves %s as %s', (target, path) => {
    expect(originFormOf(target)).toBe(path)
  })

  it.each(['/api/users', '/', '*', 'evil.example:443', ''])('leaves %j as it is', (target) => {
    expect(originFormOf(target)).toBe(target)
  })
})

describe('hostFault', () => {
  const withHosts = (...hosts: string[]) => hosts.flatMap((host) => ['Host', host])

  it.each([
    'localhost',
    'localhost:3000',
    '127.0.0.1:8080',
    '[::1]',
    '[2001:db8::1]:443',
    'edgeline.example',
    'xn--bcher-kva.example',
  ])('accepts %s', (host) => {
    expect(hostFault(withHosts(host))).toBeUndefined()
  })

  it.each(['', 'a b', 'evil.example/x', 'user@evil.example', 'a:b:c', 'host:99999999', '[zz]', 'a\\b'])(
    'refuses %j as malformed',
    (host) => {
      expect(hostFault(withHosts(host))).toBe('malformed')
    },
  )

  it('refuses none, and more than one', () => {
    expect(hostFault(['Accept', '*/*'])).toBe('missing')
    expect(hostFault(withHosts('a.example', 'b.example'))).toBe('repeated')
    expect(hostFault(['host', 'a.example', 'HOST', 'a.example'])).toBe('repeated')
  })
})
