/** The query string of `GET /api/users`, which the `/users` page reads too: the one schema, limits and messages. */
import * as z from 'zod'
import { decodeCursor } from '../cursor'
import { onlyInDocs } from '../openapi'
import {
  hasRefusedCharacter,
  INVISIBLE_TEXT_MESSAGE,
  isEmptyOrVisible,
  REFUSED_CHARACTER_MESSAGE,
} from './text'

export const DEFAULT_PAGE_SIZE = 20
export const MAX_PAGE_SIZE = 100

export const ListUsersQuerySchema = z.object({
  limit: z.coerce
    .number()
    .int('must be an integer')
    .min(1, 'must be at least 1')
    .max(MAX_PAGE_SIZE, `must be at most ${MAX_PAGE_SIZE}`)
    .default(DEFAULT_PAGE_SIZE)
    .meta(
      onlyInDocs(() => ({
        param: { name: 'limit', in: 'query' },
        example: DEFAULT_PAGE_SIZE,
        description: `Users per page, 1 to ${MAX_PAGE_SIZE}`,
      })),
    ),
  cursor: z
    .string()
    .optional()
    .transform((cursor, context) => {
      if (cursor === undefined) return undefined
      const position = decodeCursor(cursor)
      if (position === undefined)
        context.addIssue({ code: 'custom', message: 'is not a cursor this API issued' })
      return position
    })
    .meta(
      onlyInDocs(() => ({
        param: { name: 'cursor', in: 'query' },
        type: 'string',
        description: 'nextCursor or prevCursor of the page you are on',
      })),
    ),
  q: z
    .string()
    .trim()
    .max(200, 'must be at most 200 characters')
    // The names' rule: no name can hold what it refuses, and a term that shows nothing is a mistake, not "all".
    .refine((q) => !hasRefusedCharacter(q), { message: REFUSED_CHARACTER_MESSAGE, abort: true })
    .refine(isEmptyOrVisible, INVISIBLE_TEXT_MESSAGE)
    .optional()
    .transform((q) => q || undefined)
    .meta(
      onlyInDocs(() => ({
        param: { name: 'q', in: 'query' },
        description:
          'Case-insensitive substring of the name or email; trimmed, at most 200 characters, the same characters as a name',
      })),
    ),
})
