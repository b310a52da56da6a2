/** Accounts: sign-up (an account and its first session) and "who am I". */

import { createAccountWithSession, createAccountWithSessionIdempotently } from '../../../db/queries/accounts'
import { findUserFor } from '../../../db/queries/users'
import { builtInUserId } from '../../auth/built-in-user'
import { hashPassword } from '../../auth/password'
import { answerWritten, consistencyParameter, consistencyResponseHeader, positionOf } from '../../consistency'
import {
  idempotencyKeyOf,
  idempotencyKeyParameter,
  idempotentRequest,
  REPLAYED_HEADER,
  replayedResponseHeader,
} from '../../idempotency'
import { currentIdentity } from '../../middleware/authenticate'
import { timeDatabase } from '../../middleware/server-timing'
import { inSpan } from '../../middleware/trace'
import { documented, onlyInDocs } from '../../openapi'
import { problems } from '../../problem'
import { createRoute, createRouter } from '../../router'
import { MeSchema, SessionSchema, SignupSchema } from '../../schemas/auth'
import { problemResponse } from '../../schemas/problem'
import { toUserResponse } from '../../user-response'
import { type AuthDependencies, canSign, issueTokens, json, newRefresh } from './session-kit'

const signupRoute = createRoute({
  ...onlyInDocs(() =>
    documented({
      operationId: 'signUp',
      tag: 'Authentication',
      summary: 'Sign up',
      description:
        'Creates an account with the role `user` and starts its session: the tokens in the body, and as cookies ' +
        'for browsers. Passwords are 8 to 256 characters. Public.',
      touchesDatabase: true,
    }),
  ),
  method: 'post',
  path: '/signup',
  request: { body: { required: true, content: json(SignupSchema) } },
  ...onlyInDocs(() => ({
    parameters: [idempotencyKeyParameter],
    responses: {
      201: {
        description:
          'The account and its session; cookies are set too. A replay (same Idempotency-Key and body) answers the ' +
          'same user and Location with a new session of the same account, only while its password is still the ' +
          'one the sign-up set: tokens are never stored',
        headers: { ...replayedResponseHeader, ...consistencyResponseHeader },
        content: json(SessionSchema),
      },
      400: problemResponse('The Idempotency-Key is malformed'),
      404: problemResponse('A replay, and the account the first request created has since been deleted'),
      409: problemResponse(
        'The email is already in use (/problems/email-taken), a request with this Idempotency-Key is still ' +
          'in progress (/problems/idempotency-key-in-flight), or a replay, and the account has had its password ' +
          'changed or reset since (/problems/signup-credential-changed): a replay then starts no session',
      ),
      422: problemResponse(
        'Invalid fields (/problems/validation-failed), or this Idempotency-Key was used with another body ' +
          '(/problems/idempotency-key-reused)',
      ),
      501: problemResponse('Built-in accounts are disabled (external identity provider only)'),
    },
  })),
})

const meRoute = createRoute({
  ...onlyInDocs(() =>
    documented({
      operationId: 'getCurrentUser',
      tag: 'Authentication',
      summary: 'Who am I',
      description:
        "The access token's subject and role, and the account it names. `user` is null when the account was " +
        'deleted since the token was issued, or the subject belongs to the external identity provider.',
      touchesDatabase: true,
    }),
  ),
  method: 'get',
  path: '/me',
  ...onlyInDocs(() => ({
    parameters: [consistencyParameter],
    responses: {
      200: { description: 'Who the access token says the caller is', content: json(MeSchema) },
      401: problemResponse('No valid access token'),
    },
  })),
})

export function accountRoutes(deps: AuthDependencies) {
  const { db, config, reads } = deps
  return createRouter()
    .openapi(signupRoute, async (c) => {
      if (!canSign(config)) throw problems.accountsDisabled()
      const { name, email, password } = c.req.valid('json')
      const key = idempotencyKeyOf(c)
      const [passwordHash, refresh, claim] = await Promise.all([
        inSpan(c, 'hash password', () => hashPassword(password)),
        newRefresh(config),
        // Scoped to the email: only one account can have it, so no other client's keys can meet this one. The
        // fingerprint is an HMAC under our secret, because the body holds the password.
        key &&
          idempotentRequest(
            `signup:${email.toLowerCase()}`,
            key,
            { method: 'POST', path: '/api/auth/signup', body: { name, email, password } },
            config.secrets[0],
          ),
      ])
      const result = await timeDatabase(c, () =>
        claim
          ? createAccountWithSessionIdempotently(db, { name, email, passwordHash }, refresh.stored, claim)
          : createAccountWithSession(db, { name, email, passwordHash }, refresh.stored),
      )
      if (result.status === 'email-taken') throw problems.emailTaken()
      if (result.status === 'key-reused') throw problems.idempotencyKeyReused()
      if (result.status === 'in-flight') throw problems.idempotencyKeyInFlight()
      if (result.status === 'account-gone') {
        throw problems.notFound('The account this sign-up created has since been deleted.')
      }
      if (result.status === 'credential-changed') throw problems.signupCredentialChanged()
      const { user } = result
      // A replay's session is new (stored answers hold no tokens), and carries the account's role as it is now.
      if (result.status === 'replayed') c.header(REPLAYED_HEADER, 'true')
      const identity = {
        userId: String(user.id),
        role: result.status === 'replayed' ? result.role : user.role,
      }
      const session = await issueTokens(deps, c, identity, refresh.token, refresh.stored.familyId)
      answerWritten(c, result.position, reads)
      c.header('Location', `/api/users/${user.id}`)
      return c.json({ user: toUserResponse(user), ...session }, 201)
    })
    .openapi(meRoute, async (c) => {
      const identity = currentIdentity(c)
      const id = builtInUserId(identity)
      const user =
        id === undefined
          ? undefined
          : (await timeDatabase(c, () => findUserFor(reads, positionOf(c), id))).value
      return c.json(
        { userId: identity.userId, role: identity.role, user: user ? toUserResponse(user) : null },
        200,
      )
    })
}
