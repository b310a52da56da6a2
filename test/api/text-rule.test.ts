/**
 * Which characters names, search terms and emails may hold (issue 20, item 4; decision 0028): decided by Unicode
 * general category, each character the attack trial found tested by name, on every way in.
 */
import { describe, expect, it } from 'vitest'
import { INVISIBLE_TEXT_MESSAGE, REFUSED_CHARACTER_MESSAGE } from '../../edge/schemas/text'
import {
  asNewAdmin,
  createTestApp,
  createUserViaApi,
  jsonInit,
  type ProblemBody,
  type UserBody,
  uniqueEmail,
} from './support'

const { app } = createTestApp()
const admin = asNewAdmin(app)

/** Characters refused anywhere in a name or search term, with their general category. */
const REFUSED: [string, string][] = [
  ['U+200F right-to-left mark (Cf)', '\u200F'],
  ['U+200E left-to-right mark (Cf)', '\u200E'],
  ['U+061C Arabic letter mark (Cf)', '\u061C'],
  ['U+200B zero-width space (Cf)', '\u200B'],
  ['U+2060 word joiner (Cf)', '\u2060'],
  ['U+FEFF zero-width no-break space inside (Cf)', 'a\uFEFFb'],
  ['U+00AD soft hyphen (Cf)', '\u00AD'],
  ['U+E0041 tag Latin capital A (Cf)', '\u{E0041}'],
  ['U+E007F cancel tag (Cf)', '\u{E007F}'],
  ['U+E000 private use (Co)', '\uE000'],
  ['U+F0000 supplementary private use (Co)', '\u{F0000}'],
  ['U+FFFF noncharacter (Cn)', '\uFFFF'],
  ['U+FDD0 noncharacter (Cn)', '\uFDD0'],
  ['U+0378 unassigned (Cn)', '\u0378'],
  ['U+D800 lone surrogate (Cs)', '\uD800'],
  ['U+2028 line separator (Zl)', '\u2028'],
  ['U+2029 paragraph separator (Zp)', '\u2029'],
  ['U+0007 bell (Cc)', '\u0007'],
]

/** Characters that may stand beside visible ones, but never make a name or a search term alone. */
const INVISIBLE_ALONE: [string, string][] = [
  ['U+3164 Hangul filler', '\u3164'],
  ['U+FFA0 halfwidth Hangul filler', '\uFFA0'],
  ['U+115F Hangul choseong filler', '\u115F'],
  ['U+FE0F variation selector-16', '\uFE0F'],
  ['U+200D zero-width joiner', '\u200D'],
  ['U+200C zero-width non-joiner', '\u200C'],
  ['U+034F combining grapheme joiner', '\u034F'],
  ['fillers and joiners together', '\u3164\u200D\uFE0F\u3164'],
]

function problemOf(response: Response): Promise<ProblemBody> {
  return response.json() as Promise<ProblemBody>
}

describe('a name', () => {
  it.each(REFUSED)(
    'is refused with %s anywhere in it, on create, rename and sign-up',
    async (_, character) => {
      // Line and paragraph separators at either end are trimmed as whitespace is: inside, they are refused.
      const atTheEnds = character.trim() === character ? [character, `${character}Jane`] : []
      for (const name of [`Jane${character}Doe`, ...atTheEnds]) {
        const created = await admin.request(
          '/api/users',
          jsonInit('POST', { name, email: uniqueEmail('uni') }),
        )
        expect(created.status, JSON.stringify(name)).toBe(422)
        expect((await problemOf(created)).errors).toEqual([
          expect.objectContaining({ field: 'name', detail: REFUSED_CHARACTER_MESSAGE }),
        ])
      }
      const user = await createUserViaApi(admin, { name: 'Plain', email: uniqueEmail('uni') })
      const renamed = await admin.request(
        `/api/users/${user.id}`,
        jsonInit('PATCH', { name: `A${character}B` }),
      )
      expect(renamed.status).toBe(422)
      const signup = await app.request(
        '/api/auth/signup',
        jsonInit('POST', {
          name: `A${character}B`,
          email: uniqueEmail('uni'),
          password: 'long enough password',
        }),
      )
      expect(signup.status).toBe(422)
      expect((await problemOf(signup)).errors?.map((error) => error.field)).toEqual(['name'])
    },
  )

  it.each(INVISIBLE_ALONE)('is refused when it is only %s (it would look empty)', async (_, name) => {
    const created = await admin.request('/api/users', jsonInit('POST', { name, email: uniqueEmail('blank') }))
    expect(created.status).toBe(422)
    expect((await problemOf(created)).errors).toEqual([
      expect.objectContaining({ field: 'name', detail: INVISIBLE_TEXT_MESSAGE }),
    ])
    const signup = await app.request(
      '/api/auth/signup',
      jsonInit('POST', { name, email: uniqueEmail('blank'), password: 'long enough password' }),
    )
    expect(signup.status).toBe(422)
  })

  it('keeps joiners, variation selectors and fillers beside visible characters, as scripts and emoji need them', async () => {
    for (const name of [
      'Ali\u200Creza', // Persian: the non-joiner is spelling
      '👩\u200D💻 Dev', // an emoji sequence
      '\u2764\uFE0F Ada', // ❤️: the heart in its emoji style
      'क्\u200Dष', // Devanagari with a joiner
      '\u1100\u1161\u3164', // Hangul with a trailing filler
    ]) {
      const response = await admin.request(
        '/api/users',
        jsonInit('POST', { name, email: uniqueEmail('keep') }),
      )
      expect(response.status, JSON.stringify(name)).toBe(201)
      expect(((await response.json()) as UserBody).name).toBe(name)
    }
  })
})

describe('a search term (q)', () => {
  // A lone surrogate has no UTF-8 form, so no query string can carry one.
  const expressible = REFUSED.filter(([, character]) => character !== '\uD800')
  it.each(expressible)('is a 400 naming q when it holds %s', async (_, character) => {
    const response = await admin.request(`/api/users?q=${encodeURIComponent(`a${character}b`)}`)
    expect(response.status).toBe(400)
    const problem = await problemOf(response)
    expect(problem.type).toBe('/problems/invalid-parameters')
    expect(problem.errors).toEqual([
      expect.objectContaining({ field: 'q', in: 'query', detail: REFUSED_CHARACTER_MESSAGE }),
    ])
  })

  it.each(INVISIBLE_ALONE)('is a 400 naming q when it is only %s', async (_, q) => {
    const response = await admin.request(`/api/users?q=${encodeURIComponent(q)}`)
    expect(response.status).toBe(400)
    expect((await problemOf(response)).errors).toEqual([
      expect.objectContaining({ field: 'q', detail: INVISIBLE_TEXT_MESSAGE }),
    ])
  })

  it('finds a name that holds a joiner, searched with it', async () => {
    const name = `Ali\u200Creza ${crypto.randomUUID().slice(0, 8)}`
    await createUserViaApi(admin, { name, email: uniqueEmail('zwnj') })
    const response = await admin.request(`/api/users?q=${encodeURIComponent(name)}`)
    expect(response.status).toBe(200)
    expect(((await response.json()) as { data: UserBody[] }).data.map((user) => user.name)).toEqual([name])
  })
})

describe('an email', () => {
  it.each([...REFUSED, ...INVISIBLE_ALONE])(
    'is refused with %s in it, on create and sign-up',
    async (_, character) => {
      const trailing = character.trim() === character ? [`ada@example.test${character}`] : []
      for (const email of [`ada${character}@example.test`, ...trailing]) {
        const created = await admin.request('/api/users', jsonInit('POST', { name: 'Ada', email }))
        expect(created.status, JSON.stringify(email)).toBe(422)
        expect((await problemOf(created)).errors?.map((error) => error.field)).toEqual(['email'])
        const signup = await app.request(
          '/api/auth/signup',
          jsonInit('POST', { name: 'Ada', email, password: 'long enough password' }),
        )
        expect(signup.status, JSON.stringify(email)).toBe(422)
      }
    },
  )
})
