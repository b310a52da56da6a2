/**
 * The Users resource: list, create, read, update and delete, each one database round trip. Any signed-in caller
 * may list and read; a user may change or delete only themselves; an admin may create, change and delete anyone.
 */

import type { Database } from '../../db/client'
import {
  createUser,
  createUserIdempotently,
  deleteUser,
  findUserFor,
  listUsersFor,
  updateUser,
} from '../../db/queries/users'
import { primaryOnly, type ReadRouter } from '../../db/replicas'
import type { VersionedUser } from '../../db/schema'
import { newInvitation } from '../auth/account-links'
import { mayChangeUser, mayManageUsers } from '../auth/permissions'
import type { Identity } from '../auth/tokens'
import {
  entityTagOf,
  etagResponseHeader,
  ifMatchParameter,
  ifNoneMatchHolds,
  ifNoneMatchParameter,
  REVALIDATE_PRIVATELY,
  versionsAllowedByIfMatch,
} from '../conditional'
import { answerWritten, consistencyParameter, consistencyResponseHeader, positionOf } from '../consistency'
import type { MailConfig } from '../env'
import {
  idempotencyKeyOf,
  idempotencyKeyParameter,
  idempotentRequest,
  REPLAYED_HEADER,
  replayedResponseHeader,
} from '../idempotency'
import { currentIdentity } from '../middleware/authenticate'
import { timeDatabase } from '../middleware/server-timing'
import { documented, onlyInDocs } from '../openapi'
import { problems } from '../problem'
import { createRoute, createRouter } from '../router'
import { problemResponse } from '../schemas/problem'
import {
  CreateUserSchema,
  ListUsersQuerySchema,
  UpdateUserSchema,
  UserIdParamsSchema,
  UserSchema,
  UsersPageSchema,
} from '../schemas/users'
import { toUserResponse, toUsersPageResponse } from '../user-response'

const json = <T>(schema: T) => ({ 'application/json': { schema } })

const listUsersRoute = createRoute({
  ...onlyInDocs(() =>
    documented({
      operationId: 'listUsers',
      tag: 'Users',
      summary: 'List users',
      description:
        'A page of users in id order (keyset pagination): pass `nextCursor` back as `cursor` for the next page, ' +
        '`prevCursor` for the previous one. ' +
        '`q` keeps the users whose name or email contains it, whatever the case. Any signed-in caller.',
      touchesDatabase: true,
    }),
  ),
  method: 'get',
  path: '/',
  request: { query: ListUsersQuerySchema },
  ...onlyInDocs(() => ({
    parameters: [consistencyParameter],
    responses: {
      200: { description: 'A page of users in id order', content: json(UsersPageSchema) },
      400: problemResponse('Invalid limit, cursor or q'),
    },
  })),
})

const createUserRoute = createRoute({
  ...onlyInDocs(() =>
    documented({
      operationId: 'createUser',
      tag: 'Users',
      summary: 'Create a user',
      description:
        'Admins only. The user has no password yet: an invitation is mailed to them, whose link (valid 7 days) sets ' +
        'their first password (`POST /api/auth/password-reset/confirm`); resend it with ' +
        '`POST /api/users/{id}/invitation`. `role` defaults to `user`; an email already in use, whatever its case, ' +
        'is a 409.',
      touchesDatabase: true,
    }),
  ),
  method: 'post',
  path: '/',
  request: { body: { required: true, content: json(CreateUserSchema) } },
  ...onlyInDocs(() => ({
    parameters: [idempotencyKeyParameter],
    responses: {
      201: {
        description: 'The created user; Location names it',
        headers: { ...etagResponseHeader, ...replayedResponseHeader, ...consistencyResponseHeader },
        content: json(UserSchema),
      },
      400: problemResponse('The body is not valid JSON, or the Idempotency-Key is malformed'),
      403: problemResponse('Only an admin may create users'),
      409: problemResponse(
        'The email is already in use (/problems/email-taken), or a request with this Idempotency-Key is still ' +
          'in progress (/problems/idempotency-key-in-flight)',
      ),
      413: problemResponse('The body is larger than 1 MiB'),
      415: problemResponse('The body is not JSON'),
      422: problemResponse(
        'Invalid fields (/problems/validation-failed), or this Idempotency-Key was used with another body ' +
          '(/problems/idempotency-key-reused)',
      ),
    },
  })),
})

const getUserRoute = createRoute({
  ...onlyInDocs(() =>
    documented({
      operationId: 'getUser',
      tag: 'Users',
      summary: 'Get a user',
      description: 'One user by id. Any signed-in caller.',
      touchesDatabase: true,
    }),
  ),
  method: 'get',
  path: '/{id}',
  request: { params: UserIdParamsSchema },
  ...onlyInDocs(() => ({
    parameters: [ifNoneMatchParameter, consistencyParameter],
    responses: {
      200: { description: 'The user', headers: etagResponseHeader, content: json(UserSchema) },
      304: {
        description: 'If-None-Match names the current version: your copy is current',
        headers: etagResponseHeader,
      },
      400: problemResponse('The id is not a positive integer'),
      404: problemResponse('No such user'),
    },
  })),
})

const updateUserRoute = createRoute({
  ...onlyInDocs(() =>
    documented({
      operationId: 'updateUser',
      tag: 'Users',
      summary: 'Update a user',
      description:
        'Changes the fields sent (at least one of `name`, `email`, `role`). A user may change their own name; an ' +
        'admin may change anyone, email and role included, at once (an email change by an admin is recorded in the ' +
        'access log). A user changes their own email with `POST /api/auth/email`, which is confirmed from the new ' +
        'address. A role change takes effect at the next refresh.',
      touchesDatabase: true,
    }),
  ),
  method: 'patch',
  path: '/{id}',
  request: { params: UserIdParamsSchema, body: { required: true, content: json(UpdateUserSchema) } },
  ...onlyInDocs(() => ({
    parameters: [ifMatchParameter],
    responses: {
      200: {
        description: 'The updated user',
        headers: { ...etagResponseHeader, ...consistencyResponseHeader },
        content: json(UserSchema),
      },
      400: problemResponse('The id is not a positive integer, or the body is not valid JSON'),
      403: problemResponse(
        "Another user's account, a role change, or an email change, and the caller is not an admin (a user changes " +
          'their own email with POST /api/auth/email)',
      ),
      404: problemResponse('No such user'),
      409: problemResponse('The email is already in use'),
      412: problemResponse('If-Match names a version that is no longer current; nothing was changed'),
      415: problemResponse('The body is not JSON'),
      422: problemResponse('Invalid fields'),
    },
  })),
})

const deleteUserRoute = createRoute({
  ...onlyInDocs(() =>
    documented({
      operationId: 'deleteUser',
      tag: 'Users',
      summary: 'Delete a user',
      description:
        'A user may delete their own account; an admin may delete anyone. Access tokens already issued stay valid ' +
        'until they expire (15 minutes at most).',
      touchesDatabase: true,
    }),
  ),
  method: 'delete',
  path: '/{id}',
  request: { params: UserIdParamsSchema },
  ...onlyInDocs(() => ({
    parameters: [ifMatchParameter],
    responses: {
      204: { description: 'Deleted', headers: consistencyResponseHeader },
      400: problemResponse('The id is not a positive integer'),
      403: problemResponse("Another user's account, and the caller is not an admin"),
      404: problemResponse('No such user'),
      412: problemResponse('If-Match names a version that is no longer current; nothing was deleted'),
    },
  })),
})

const userNotFound = (id: number) => problems.notFound(`There is no user with id ${id}.`)

const staleVersion = (id: number) =>
  problems.preconditionFailed(
    `User ${id} has changed since the version If-Match names; read it again (its ETag) and retry.`,
  )

/** The headers every answer that carries a user carries: its version, and how caches may keep it. */
function versionHeaders(user: VersionedUser): Record<string, string> {
  return { ETag: entityTagOf(user.version), 'Cache-Control': REVALIDATE_PRIVATELY }
}

/** Checked before the database: a refusal costs no round trip and says nothing about whether the id exists. */
function requireAdmin(identity: Identity, action: string): void {
  if (!mayManageUsers(identity)) throw problems.forbidden(`Only an admin may ${action}.`)
}

function requireSelfOrAdmin(identity: Identity, id: number, action: string): void {
  if (!mayChangeUser(identity, id)) {
    throw problems.forbidden(`You may ${action} only your own account; an admin may ${action} any.`)
  }
}

/**
 * Reads go through `reads` (a replica when one may serve this caller, else the primary: db/replicas.ts); writes
 * to `db`, the primary, and answer with their position (edge/consistency.ts).
 */
export function usersRoutes(db: Database, mail: MailConfig, reads: ReadRouter = primaryOnly(db)) {
  return createRouter()
    .openapi(listUsersRoute, async (c) => {
      const { limit, cursor, q } = c.req.valid('query')
      const { value: page } = await timeDatabase(c, () =>
        listUsersFor(reads, positionOf(c), { limit, position: cursor, search: q }),
      )
      return c.json(toUsersPageResponse(page, cursor), 200)
    })
    .openapi(createUserRoute, async (c) => {
      const identity = currentIdentity(c)
      requireAdmin(identity, 'create users')
      const input = c.req.valid('json')
      const key = idempotencyKeyOf(c)
      const path = c.req.path.replace(/\/$/, '')
      const [claim, invitation] = await Promise.all([
        key && idempotentRequest(`users:${identity.userId}`, key, { method: 'POST', path, body: input }),
        newInvitation(c, mail),
      ])
      const result = await timeDatabase(c, () =>
        claim ? createUserIdempotently(db, input, claim, invitation) : createUser(db, input, invitation),
      )
      if (result.status === 'email-taken') throw problems.emailTaken()
      if (result.status === 'key-reused') throw problems.idempotencyKeyReused()
      if (result.status === 'in-flight') throw problems.idempotencyKeyInFlight()
      // A replay is rendered from the stored row exactly as the first answer was: the same status, headers and body.
      if (result.status === 'replayed') c.header(REPLAYED_HEADER, 'true')
      else c.set('mailQueued', true)
      answerWritten(c, result.position, reads)
      c.header('Location', `${path}/${result.user.id}`)
      return c.json(toUserResponse(result.user), 201, versionHeaders(result.user))
    })
    .openapi(getUserRoute, async (c) => {
      const { id } = c.req.valid('param')
      const { value: user } = await timeDatabase(c, () => findUserFor(reads, positionOf(c), id))
      if (!user) throw userNotFound(id)
      if (ifNoneMatchHolds(c.req.header('If-None-Match'), user.version)) {
        return c.body(null, 304, versionHeaders(user))
      }
      return c.json(toUserResponse(user), 200, versionHeaders(user))
    })
    .openapi(updateUserRoute, async (c) => {
      const { id } = c.req.valid('param')
      const changes = c.req.valid('json')
      const identity = currentIdentity(c)
      requireSelfOrAdmin(identity, id, 'change')
      if (changes.role !== undefined) requireAdmin(identity, 'change roles')
      if (changes.email !== undefined && !mayManageUsers(identity)) {
        throw problems.forbidden(
          'Change your own email with POST /api/auth/email: it needs your current password, and takes effect ' +
            'when you follow the link it mails to the new address.',
        )
      }
      const expected = versionsAllowedByIfMatch(c.req.header('If-Match'))
      const result = await timeDatabase(c, () => updateUser(db, id, changes, expected))
      if (result.status === 'not-found') throw userNotFound(id)
      if (result.status === 'precondition-failed') throw staleVersion(id)
      if (result.status === 'email-taken') throw problems.emailTaken()
      if (changes.email !== undefined)
        c.set('audit', { action: 'email-changed-by-admin', actorId: identity.userId, userId: id })
      answerWritten(c, result.position, reads)
      return c.json(toUserResponse(result.user), 200, versionHeaders(result.user))
    })
    .openapi(deleteUserRoute, async (c) => {
      const { id } = c.req.valid('param')
      requireSelfOrAdmin(currentIdentity(c), id, 'delete')
      const expected = versionsAllowedByIfMatch(c.req.header('If-Match'))
      const outcome = await timeDatabase(c, () => deleteUser(db, id, expected))
      if (outcome.status === 'not-found') throw userNotFound(id)
      if (outcome.status === 'precondition-failed') throw staleVersion(id)
      answerWritten(c, outcome.position, reads)
      return c.body(null, 204)
    })
}
