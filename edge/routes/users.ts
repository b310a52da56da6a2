/** The Users resource: list, create, read, update and delete, each one database round trip. */
import { createRoute } from '@hono/zod-openapi'
import type { Database } from '../../db/client'
import { createUser, deleteUser, findUserById, listUsers, updateUser } from '../../db/queries/users'
import type { User } from '../../db/schema'
import { encodeCursor } from '../cursor'
import { timeDatabase } from '../middleware/server-timing'
import { problems } from '../problem'
import { createRouter } from '../router'
import { problemResponse } from '../schemas/problem'
import {
  CreateUserSchema,
  ListUsersQuerySchema,
  UpdateUserSchema,
  UserIdParamsSchema,
  type UserResponse,
  UserSchema,
  UsersPageSchema,
} from '../schemas/users'

const json = <T>(schema: T) => ({ 'application/json': { schema } })

const listUsersRoute = createRoute({
  method: 'get',
  path: '/',
  request: { query: ListUsersQuerySchema },
  responses: {
    200: { description: 'A page of users in id order', content: json(UsersPageSchema) },
    400: problemResponse('Invalid limit, cursor or q'),
  },
})

const createUserRoute = createRoute({
  method: 'post',
  path: '/',
  request: { body: { required: true, content: json(CreateUserSchema) } },
  responses: {
    201: { description: 'The created user; Location names it', content: json(UserSchema) },
    400: problemResponse('The body is not valid JSON'),
    409: problemResponse('The email is already in use'),
    413: problemResponse('The body is larger than 1 MiB'),
    415: problemResponse('The body is not JSON'),
    422: problemResponse('Invalid fields'),
  },
})

const getUserRoute = createRoute({
  method: 'get',
  path: '/{id}',
  request: { params: UserIdParamsSchema },
  responses: {
    200: { description: 'The user', content: json(UserSchema) },
    400: problemResponse('The id is not a positive integer'),
    404: problemResponse('No such user'),
  },
})

const updateUserRoute = createRoute({
  method: 'patch',
  path: '/{id}',
  request: { params: UserIdParamsSchema, body: { required: true, content: json(UpdateUserSchema) } },
  responses: {
    200: { description: 'The updated user', content: json(UserSchema) },
    400: problemResponse('The id is not a positive integer, or the body is not valid JSON'),
    404: problemResponse('No such user'),
    409: problemResponse('The email is already in use'),
    415: problemResponse('The body is not JSON'),
    422: problemResponse('Invalid fields'),
  },
})

const deleteUserRoute = createRoute({
  method: 'delete',
  path: '/{id}',
  request: { params: UserIdParamsSchema },
  responses: {
    204: { description: 'Deleted' },
    400: problemResponse('The id is not a positive integer'),
    404: problemResponse('No such user'),
  },
})

/** The wire shape of a user: timestamps as ISO 8601 strings. */
function toUserResponse(user: User): UserResponse {
  return { ...user, createdAt: user.createdAt.toISOString(), updatedAt: user.updatedAt.toISOString() }
}

const userNotFound = (id: number) => problems.notFound(`There is no user with id ${id}.`)

export function usersRoutes(db: Database) {
  return createRouter()
    .openapi(listUsersRoute, async (c) => {
      const { limit, cursor, q } = c.req.valid('query')
      const page = await timeDatabase(c, () => listUsers(db, { limit, afterId: cursor, search: q }))
      const last = page.users.at(-1)
      const nextCursor = page.hasMore && last ? encodeCursor(last.id) : null
      return c.json({ data: page.users.map(toUserResponse), nextCursor }, 200)
    })
    .openapi(createUserRoute, async (c) => {
      const result = await timeDatabase(c, () => createUser(db, c.req.valid('json')))
      if (result.status === 'email-taken') throw problems.emailTaken()
      c.header('Location', `${c.req.path.replace(/\/$/, '')}/${result.user.id}`)
      return c.json(toUserResponse(result.user), 201)
    })
    .openapi(getUserRoute, async (c) => {
      const { id } = c.req.valid('param')
      const user = await timeDatabase(c, () => findUserById(db, id))
      if (!user) throw userNotFound(id)
      return c.json(toUserResponse(user), 200)
    })
    .openapi(updateUserRoute, async (c) => {
      const { id } = c.req.valid('param')
      const result = await timeDatabase(c, () => updateUser(db, id, c.req.valid('json')))
      if (result.status === 'not-found') throw userNotFound(id)
      if (result.status === 'email-taken') throw problems.emailTaken()
      return c.json(toUserResponse(result.user), 200)
    })
    .openapi(deleteUserRoute, async (c) => {
      const { id } = c.req.valid('param')
      const deleted = await timeDatabase(c, () => deleteUser(db, id))
      if (!deleted) throw userNotFound(id)
      return c.body(null, 204)
    })
}
