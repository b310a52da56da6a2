/**
 * An admin helping someone into their account: resend an invitation, clear a log-in throttle. Each one database
 * round trip; refused before the database for anyone but an admin.
 */
import type { Database } from '../../db/client'
import { reissueInvitation, unlockAccount } from '../../db/queries/account-tokens'
import { newInvitation } from '../auth/account-links'
import { mayManageUsers } from '../auth/permissions'
import type { MailConfig } from '../env'
import { currentIdentity } from '../middleware/authenticate'
import { timeDatabase } from '../middleware/server-timing'
import { documented, onlyInDocs } from '../openapi'
import { problems } from '../problem'
import { createRoute, createRouter } from '../router'
import { AcceptedSchema } from '../schemas/account-links'
import { problemResponse } from '../schemas/problem'
import { UserIdParamsSchema } from '../schemas/users'

const json = <T>(schema: T) => ({ 'application/json': { schema } })

const resendInvitationRoute = createRoute({
  ...onlyInDocs(() =>
    documented({
      operationId: 'resendInvitation',
      tag: 'Users',
      summary: 'Resend an invitation',
      description:
        'Admins only. Mails a user who has never set a password a new invitation (valid 7 days); the link sent ' +
        'before stops working.',
      touchesDatabase: true,
    }),
  ),
  method: 'post',
  path: '/{id}/invitation',
  request: { params: UserIdParamsSchema },
  ...onlyInDocs(() => ({
    responses: {
      202: { description: 'The invitation is on its way', content: json(AcceptedSchema) },
      400: problemResponse('The id is not a positive integer'),
      403: problemResponse('Only an admin may send invitations'),
      404: problemResponse('No such user'),
      409: problemResponse(
        'The user has set a password already (/problems/account-active): they can reset it',
      ),
    },
  })),
})

const clearLoginThrottleRoute = createRoute({
  ...onlyInDocs(() =>
    documented({
      operationId: 'clearLoginThrottle',
      tag: 'Users',
      summary: 'Unlock an account',
      description:
        "Admins only. Forgets the failed log-ins and password-reset requests counted against the user's email, so " +
        'they can log in (or ask for a link) again at once. Limits per client address are left alone.',
      touchesDatabase: true,
    }),
  ),
  method: 'delete',
  path: '/{id}/login-throttle',
  request: { params: UserIdParamsSchema },
  ...onlyInDocs(() => ({
    responses: {
      204: { description: "The account's throttles are cleared (whether or not it was locked)" },
      400: problemResponse('The id is not a positive integer'),
      403: problemResponse('Only an admin may unlock accounts'),
      404: problemResponse('No such user'),
    },
  })),
})

function requireAdmin(c: Parameters<typeof currentIdentity>[0], action: string): void {
  if (!mayManageUsers(currentIdentity(c))) throw problems.forbidden(`Only an admin may ${action}.`)
}

export function userAccessRoutes(db: Database, mail: MailConfig) {
  return createRouter()
    .openapi(resendInvitationRoute, async (c) => {
      requireAdmin(c, 'send invitations')
      const { id } = c.req.valid('param')
      const invitation = await newInvitation(c, mail)
      const outcome = await timeDatabase(c, () => reissueInvitation(db, id, invitation))
      if (outcome === 'not-found') throw problems.notFound(`There is no user with id ${id}.`)
      if (outcome === 'has-password') throw problems.accountActive(id)
      c.set('mailQueued', true)
      return c.json({ detail: `A new invitation is on its way to user ${id}.` }, 202)
    })
    .openapi(clearLoginThrottleRoute, async (c) => {
      requireAdmin(c, 'unlock accounts')
      const { id } = c.req.valid('param')
      const found = await timeDatabase(c, () => unlockAccount(db, { id }))
      if (!found) throw problems.notFound(`There is no user with id ${id}.`)
      c.set('audit', { action: 'login-throttle-cleared', actorId: currentIdentity(c).userId, userId: id })
      return c.body(null, 204)
    })
}
