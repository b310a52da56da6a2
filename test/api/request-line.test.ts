/** The request line's rules read the raw pathname without parsing the URL again: it must be the parser's own. */
import { describe, expect, it } from 'vitest'
import { rawPathname } from '../../edge/request-line'

describe('the raw pathname of a request URL', () => {
  it.each([
    'http://example.test/api/users/1',
    'http://example.test/',
    'http://example.test/api/users?cursor=abc&limit=2',
    'http://example.test/api/hello#top',
    'http://example.test/a#fragment?not-a-query',
    'http://example.test/a?query#fragment/with/slashes',
    'http://127.0.0.1:3000/api/users/%zz',
    'http://[::1]:3000/api/users/%E2%82',
    'https://example.test:8443//api//auth/me?next=//elsewhere/x',
    'http://example.test/api/a b/./c/../d',
    'http://example.test/api/%2e%2e/hello',
    'http://example.test',
    'http://example.test?only=query',
  ])('is what the URL parser reads in %s', (input) => {
    // Request.url is what the middleware sees: the parser's serialization of what the client sent.
    const url = new Request(input).url
    expect(rawPathname(url)).toBe(new URL(url).pathname)
  })
})
