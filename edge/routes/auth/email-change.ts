/**
 * A signed-in user's own email change: asked for with the current password, done when the link mailed to the new
 * address is followed, and the old address told. (An admin's change of anyone's email is immediate: PATCH.)
 */
import {
  confirmEmailChange,
  NEW_EMAIL_PLACEHOLDER,
  requestEmailChange,
} from '../../../db/queries/account-tokens'
import {
  EMAIL_CHANGE_SECONDS,
  linkTo,
  newLinkToken,
  presentedLinkTokenHash,
  VERIFY_EMAIL_PAGE,
} from '../../auth/account-links'
import { builtInUserId } from '../../auth/built-in-user'
import { answerWritten, consistencyResponseHeader } from '../../consistency'
import type { MailConfig } from '../../env'
import { emailChangedMessage, emailChangeMessage } from '../../mail/messages'
import { currentIdentity } from '../../middleware/authenticate'
import { timeDatabase } from '../../middleware/server-timing'
import { documented, onlyInDocs } from '../../openapi'
import { problems } from '../../problem'
import { createRoute, createRouter } from '../../router'
import {
  AcceptedSchema,
  EmailChangeConfirmSchema,
  EmailChangeRequestSchema,
} from '../../schemas/account-links'
import { problemResponse } from '../../schemas/problem'
import { UserSchema } from '../../schemas/users'
import { toUserResponse } from '../../user-response'
import { type AuthDependencies, canSign, checkCurrentPassword, json } from './session-kit'

const requestEmailChangeRoute = createRoute({
  ...onlyInDocs(() =>
    documented({
      operationId: 'requestEmailChange',
      tag: 'Authentication',
      summary: 'Change your own email address',
      description:
        'Checks the current password (counted like a log-in attempt) and mails a confirmation link (valid 24 hours; ' +
        'a newer one voids it) to the new address. The account keeps its address until the link is followed; then ' +
        "the old address is told. Admins change anyone's email at once with `PATCH /api/users/{id}`.",
      touchesDatabase: true,
    }),
  ),
  method: 'post',
  path: '/email',
  request: { body: { required: true, content: json(EmailChangeRequestSchema) } },
  ...onlyInDocs(() => ({
    responses: {
      202: {
        description: 'The confirmation link is mailed to the new address',
        content: json(AcceptedSchema),
      },
      403: problemResponse('The caller is a subject of the external identity provider: it has no email here'),
      404: problemResponse('The account of the access token no longer exists'),
      409: problemResponse('Another account has this email address'),
      422: problemResponse(
        'Invalid fields (/problems/validation-failed), or the current password is wrong or the account has none ' +
          '(/problems/wrong-password)',
      ),
      429: problemResponse(
        'Too many failed log-ins or password checks for this account or client; see Retry-After',
      ),
      501: problemResponse('Built-in accounts are disabled (external identity provider only)'),
    },
  })),
})

const confirmEmailChangeRoute = createRoute({
  ...onlyInDocs(() =>
    documented({
      operationId: 'confirmEmailChange',
      tag: 'Authentication',
      summary: 'Confirm a new email address',
      description:
        'Spends the token of the link mailed to the new address: the account now has that address (log in with it), ' +
        'and the old address is told. Public: the token is the proof.',
      touchesDatabase: true,
    }),
  ),
  method: 'post',
  path: '/email/confirm',
  request: { body: { required: true, content: json(EmailChangeConfirmSchema) } },
  ...onlyInDocs(() => ({
    responses: {
      200: {
        description: 'The account, with its new address',
        headers: consistencyResponseHeader,
        content: json(UserSchema),
      },
      400: problemResponse(
        'The token is unknown, used, expired, replaced by a newer one, or the password changed since it was sent ' +
          '(/problems/invalid-link-token)',
      ),
      409: problemResponse('Another account took this email address meanwhile'),
      422: problemResponse('Invalid fields'),
      501: problemResponse('Built-in accounts are disabled (external identity provider only)'),
    },
  })),
})

export function emailChangeRoutes(deps: AuthDependencies, mail: MailConfig) {
  const { db, config } = deps
  return createRouter()
    .openapi(requestEmailChangeRoute, async (c) => {
      if (!canSign(config)) throw problems.accountsDisabled()
      const userId = builtInUserId(currentIdentity(c))
      if (userId === undefined) {
        throw problems.forbidden(
          'Only built-in accounts have an email here; change it with your identity provider.',
        )
      }
      const { newEmail, currentPassword } = c.req.valid('json')
      // Counted like a log-in before it is checked (checkCurrentPassword): a stolen access token buys no more guesses.
      const { verifiedPasswordHash, emailBucket, clientBucket } = await checkCurrentPassword(
        deps,
        c,
        userId,
        currentPassword,
      )
      const link = await newLinkToken(EMAIL_CHANGE_SECONDS)
      const message = emailChangeMessage(linkTo(c, mail, VERIFY_EMAIL_PAGE, { token: link.token }))
      const outcome = await timeDatabase(c, () =>
        requestEmailChange(db, {
          userId,
          verifiedPasswordHash,
          newEmail,
          token: link.stored,
          message,
          emailBucket,
          clientBucket,
        }),
      )
      if (outcome === 'email-taken') throw problems.emailTaken()
      // A concurrent password change won: the password just verified is no longer the current one.
      if (outcome === 'password-changed') throw problems.wrongPassword()
      c.set('mailQueued', true)
      return c.json(
        {
          detail: `A link to confirm the change is on its way to ${newEmail}. Until it is followed, nothing changes.`,
        },
        202,
      )
    })
    .openapi(confirmEmailChangeRoute, async (c) => {
      if (!canSign(config)) throw problems.accountsDisabled()
      const tokenHash = await presentedLinkTokenHash(c.req.valid('json').token)
      if (tokenHash === undefined) throw problems.invalidLinkToken()
      // The old address is told the new one; which one that is, only the token's row knows: filled in by SQL.
      const told = emailChangedMessage(NEW_EMAIL_PLACEHOLDER)
      const result = await timeDatabase(c, () => confirmEmailChange(db, { tokenHash, told }))
      if (result.status === 'invalid-token') throw problems.invalidLinkToken()
      if (result.status === 'email-taken') throw problems.emailTaken()
      c.set('mailQueued', true)
      // The caller's next reads see the new address, even from a replica (decision 0037).
      answerWritten(c, result.position, deps.reads)
      return c.json(toUserResponse(result.user), 200)
    })
}
