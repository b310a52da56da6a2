/** Sealed form outcomes: a page shows a notice or an error only if our form handler put it there, just now, for you. */
import { beforeEach, describe, expect, it } from 'vitest'
import { createOutcomeSeal } from '../../edge/pages/outcome-seal'

const SECRET = 'a-test-secret-of-at-least-32-bytes-long!'
const START = Date.UTC(2026, 10, 25, 12, 0, 0)
let now = START
const seal = createOutcomeSeal(SECRET, () => now)

async function sealed(path: string, viewer = '42'): Promise<URL> {
  const url = new URL(path, 'http://same.site')
  await seal.seal(url, viewer)
  return url
}

describe('sealed form outcomes', () => {
  beforeEach(() => {
    now = START
  })

  it('open on the same page for the same viewer, with notice, error and field errors', async () => {
    const url = await sealed('/users?q=x&error=Nope.&field.email=must+be+a+valid+email+address&email=kept')
    expect(await seal.open(url.searchParams, '/users', '42')).toEqual({
      error: 'Nope.',
      fieldErrors: { email: 'must be a valid email address' },
    })
  })

  it('show nothing when a word of the message is changed, added or the seal is missing', async () => {
    const url = await sealed('/users?notice=Created+Ada+(%2312).')
    const changed = new URLSearchParams(url.searchParams)
    changed.set('notice', 'Your account is locked. Call +1 555 0100.')
    const added = new URLSearchParams(url.searchParams)
    added.set('error', 'Enter your bank PIN.')
    const unsealed = new URLSearchParams('notice=Your+account+is+locked.')
    for (const params of [changed, added, unsealed]) {
      expect(await seal.open(params, '/users', '42')).toEqual({ fieldErrors: {} })
    }
  })

  it('do not open on another page, for another viewer, or under another secret', async () => {
    const url = await sealed('/account?notice=Your+name+is+changed.')
    expect(await seal.open(url.searchParams, '/users', '42')).toEqual({ fieldErrors: {} })
    expect(await seal.open(url.searchParams, '/account', '43')).toEqual({ fieldErrors: {} })
    const other = createOutcomeSeal('another-secret-of-at-least-32-bytes-long', () => now)
    expect(await other.open(url.searchParams, '/account', '42')).toEqual({ fieldErrors: {} })
    expect((await seal.open(url.searchParams, '/account', '42')).notice).toBe('Your name is changed.')
  })

  it('ignore parameters a seal cannot cover, such as field names that are not plain identifiers', async () => {
    const url = await sealed('/users?notice=Hi')
    url.searchParams.append('field.', 'EMPTY')
    url.searchParams.append('field.name\n', 'NL')
    url.searchParams.append('field.a b', 'SPACE')
    expect(await seal.open(url.searchParams, '/users', '42')).toEqual({ notice: 'Hi', fieldErrors: {} })
  })

  it('open a seal from an isolate whose clock runs a few seconds ahead', async () => {
    const url = await sealed('/users?notice=Hi')
    now -= 4_000
    expect((await seal.open(url.searchParams, '/users', '42')).notice).toBe('Hi')
  })

  it('expire after two minutes, so a link made by someone else goes stale', async () => {
    const url = await sealed('/login?error=The+email+or+the+password+is+wrong.', 'anonymous')
    now += 119_000
    expect((await seal.open(url.searchParams, '/login', 'anonymous')).error).toMatch(/wrong/)
    now += 2_000
    expect(await seal.open(url.searchParams, '/login', 'anonymous')).toEqual({ fieldErrors: {} })
  })

  it('cover what the page keeps besides the message only as far as the message goes', async () => {
    // Typed values travel unsealed: they only fill in the form again, and are never shown as our words.
    const url = await sealed('/signup?error=Taken.&name=Ada', 'anonymous')
    url.searchParams.set('name', 'Someone Else')
    expect((await seal.open(url.searchParams, '/signup', 'anonymous')).error).toBe('Taken.')
  })
})
