/** zod schemas of the Users API: the single source for request validation, TypeScript types and the OpenAPI document. */
import * as z from 'zod'
import { onlyInDocs } from '../openapi'
import { MAX_USER_ID, USER_ID_TEXT } from '../user-id'
import {
  hasRefusedCharacter,
  INVISIBLE_TEXT_MESSAGE,
  isEmptyOrVisible,
  REFUSED_CHARACTER_MESSAGE,
} from './text'

// In a module of its own, so the /users page holds this schema and not the others (decision 0035, the page budget).
export { DEFAULT_PAGE_SIZE, ListUsersQuerySchema, MAX_PAGE_SIZE } from './users-list'
// Kept where zod is not, so the pages can know an id without loading the schemas; exported here as before.
export { MAX_USER_ID, USER_ID_TEXT }

export const RoleSchema = z.enum(['admin', 'user']).meta(onlyInDocs(() => ({ example: 'user' })))

export const userName = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(200, 'must be at most 200 characters')
  .refine((name) => !hasRefusedCharacter(name), { message: REFUSED_CHARACTER_MESSAGE, abort: true })
  .refine(isEmptyOrVisible, INVISIBLE_TEXT_MESSAGE)
  .meta(
    onlyInDocs(() => ({
      description:
        'Trimmed, then 1 to 200 characters, in any script, at least one of them visible; no control, format ' +
        '(text-direction, zero-width, tag; the joiners U+200C and U+200D excepted), private-use or unassigned characters',
      example: 'Ada Lovelace',
    })),
  )
/**
 * An email as the API checks it (zod's `z.email()` pattern), for the OpenAPI document: what the server accepts, the
 * document must not refuse. The standard `format: email` of JSON Schema validators differs in the details (it
 * refuses `ada@a-.example.com`, which this accepts).
 */
const EMAIL = z.regexes.email.source.replace(/^\^/, '').replace(/\$$/, '')

// Trim first, then check the format: a pasted address with a trailing space is still a valid email.
export const userEmail = z
  .string()
  .trim()
  // The bound inside the pipe, so the document (which shows the pipe's input) has no maxLength on the padded value.
  .pipe(z.email('must be a valid email address').max(254, 'must be at most 254 characters'))
  // The pipe hides the rule from the generator: said here, padding included, since the server trims before it
  // checks (the document once said `format: email` and `maxLength: 254`, and so refused ` ada@example.com `).
  .meta(
    onlyInDocs(() => ({
      pattern: `^\\s*(?=\\S{1,254}\\s*$)(?:${EMAIL})\\s*$`,
      description:
        'Trimmed (spaces around it are dropped), then at most 254 characters; unique whatever its case',
      example: 'ada@example.com',
    })),
  )

export const UserSchema = z
  .object({
    id: z
      .int()
      .min(1)
      .max(MAX_USER_ID)
      .meta(onlyInDocs(() => ({ example: 1 }))),
    name: z
      .string()
      .min(1)
      .max(200)
      .meta(onlyInDocs(() => ({ example: 'John Doe' }))),
    // As stored: trimmed, so the same rule without the padding.
    email: z
      .string()
      .max(254)
      .meta(onlyInDocs(() => ({ pattern: `^(?:${EMAIL})$`, example: 'john@example.com' }))),
    role: RoleSchema,
    createdAt: z.iso.datetime().meta(onlyInDocs(() => ({ example: '2026-01-01T00:00:00.000Z' }))),
    updatedAt: z.iso.datetime().meta(onlyInDocs(() => ({ example: '2026-01-01T00:00:00.000Z' }))),
  })
  .meta(onlyInDocs(() => ({ id: 'User' })))

export const UsersPageSchema = z
  .object({
    data: z.array(UserSchema),
    nextCursor: z
      .string()
      .nullable()
      .meta(onlyInDocs(() => ({ description: 'Pass as ?cursor= for the next page; null on the last page' }))),
    prevCursor: z
      .string()
      .nullable()
      .meta(
        onlyInDocs(() => ({
          description:
            'Pass as ?cursor= for the previous page (the users just before this one); null on the first page',
        })),
      ),
  })
  .meta(onlyInDocs(() => ({ id: 'UsersPage' })))

// Only admins create users, and only admins may set a role (a user changing their own role is a 403).
// Strict, as every request body: an unknown field is a 422 naming it, so a typo is caught, not ignored (decision 0020).
export const CreateUserSchema = z
  .object({ name: userName, email: userEmail, role: RoleSchema.optional() })
  .strict()
  .meta(onlyInDocs(() => ({ id: 'CreateUser' })))

export const UpdateUserSchema = z
  .object({ name: userName.optional(), email: userEmail.optional(), role: RoleSchema.optional() })
  .strict()
  .refine((changes) => Object.values(changes).some((value) => value !== undefined), {
    message: 'provide at least one of name, email, role',
  })
  .meta(onlyInDocs(() => ({ id: 'UpdateUser' })))

export const UserIdParamsSchema = z.object({
  id: z
    .string()
    .regex(/^[1-9][0-9]*$/, 'must be a positive integer')
    .transform(Number)
    .pipe(z.number().max(MAX_USER_ID, `must be at most ${MAX_USER_ID}`))
    .meta(
      onlyInDocs(() => ({
        param: { name: 'id', in: 'path' },
        type: 'integer',
        minimum: 1,
        maximum: MAX_USER_ID,
        example: 1,
        description: 'A user id: 1 to 2147483647 (anything else is a 400)',
      })),
    ),
})

export type UserResponse = z.infer<typeof UserSchema>
