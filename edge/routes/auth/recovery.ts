/**
 * Getting back in: a password-reset link by email, and setting a password from such a link or an invitation. Both
 * public, one round trip each.
 */
import { requestPasswordReset, setPasswordWithToken } from '../../../db/queries/account-tokens'
import {
  linkTo,
  newLinkToken,
  PASSWORD_RESET_SECONDS,
  passwordResetBuckets,
  presentedLinkTokenHash,
  RESET_PASSWORD_PAGE,
} from '../../auth/account-links'
import { hashPassword } from '../../auth/password'
import type { MailConfig } from '../../env'
import { passwordResetMessage } from '../../mail/messages'
import { timeDatabase } from '../../middleware/server-timing'
import { documented, onlyInDocs } from '../../openapi'
import { problems } from '../../problem'
import { createRoute, createRouter } from '../../router'
import {
  AcceptedSchema,
  PasswordResetRequestSchema,
  SetPasswordWithTokenSchema,
} from '../../schemas/account-links'
import { SessionSchema } from '../../schemas/auth'
import { problemResponse } from '../../schemas/problem'
import { toUserResponse } from '../../user-response'
import { type AuthDependencies, canSign, issueTokens, json, newRefresh } from './session-kit'

/** The one answer to every accepted reset request: it must not say whether the account exists. */
export const RESET_REQUESTED =
  'If an account has this address, a link to choose a new password is on its way to it. It works for 30 minutes.'

const requestResetRoute = createRoute({
  ...onlyInDocs(() =>
    documented({
      operationId: 'requestPasswordReset',
      tag: 'Authentication',
      summary: 'Ask for a password-reset link',
      description:
        'Emails a link to `/reset-password` (valid 30 minutes, single use; a newer one voids it) to the account ' +
        'with this address, if there is one. The same answer, in about the same time, whether or not there is. ' +
        'Limited per address and per client like log-in (in buckets of its own). Public.',
      touchesDatabase: true,
    }),
  ),
  method: 'post',
  path: '/password-reset',
  request: { body: { required: true, content: json(PasswordResetRequestSchema) } },
  ...onlyInDocs(() => ({
    responses: {
      202: {
        description: 'Accepted: a link is mailed if an account has this address',
        content: json(AcceptedSchema),
      },
      422: problemResponse('Invalid fields'),
      429: problemResponse('Too many reset requests for this address or from this client; see Retry-After'),
      501: problemResponse('Built-in accounts are disabled (external identity provider only)'),
    },
  })),
})

const setPasswordRoute = createRoute({
  ...onlyInDocs(() =>
    documented({
      operationId: 'setPasswordWithLink',
      tag: 'Authentication',
      summary: 'Set a password from a reset link or an invitation',
      description:
        "Spends the token of a password-reset link or of an invitation: sets the account's password (8 to 256 " +
        'characters), ends every other session of the account, voids its other links, clears its log-in throttle, ' +
        'and starts a session (the tokens in the body, and as cookies for browsers). Public: the token is the proof.',
      touchesDatabase: true,
    }),
  ),
  method: 'post',
  path: '/password-reset/confirm',
  request: { body: { required: true, content: json(SetPasswordWithTokenSchema) } },
  ...onlyInDocs(() => ({
    responses: {
      200: { description: 'The password is set; a new session (cookies too)', content: json(SessionSchema) },
      400: problemResponse(
        'The token is unknown, used, expired, replaced by a newer one, or the password changed since it was sent ' +
          '(/problems/invalid-link-token)',
      ),
      422: problemResponse('Invalid fields'),
      501: problemResponse('Built-in accounts are disabled (external identity provider only)'),
    },
  })),
})

export function recoveryRoutes(deps: AuthDependencies, mail: MailConfig) {
  const { db, config } = deps
  return createRouter()
    .openapi(requestResetRoute, async (c) => {
      if (!canSign(config)) throw problems.accountsDisabled()
      const { email } = c.req.valid('json')
      // Everything is prepared whether or not the account exists: the work, and so the time, is the same.
      const [link, buckets] = await Promise.all([
        newLinkToken(PASSWORD_RESET_SECONDS),
        passwordResetBuckets(email, c.req.raw.headers, config.loginThrottle),
      ])
      const message = passwordResetMessage(linkTo(c, mail, RESET_PASSWORD_PAGE, { token: link.token }))
      const result = await timeDatabase(c, () =>
        requestPasswordReset(db, {
          email,
          buckets,
          windowSeconds: config.loginThrottle.windowSeconds,
          token: link.stored,
          message,
        }),
      )
      if (result.status === 'throttled') throw problems.tooManyResetRequests(result.retryAfterSeconds)
      // Whether or not a message was queued: the flush runs after the answer, so it cannot tell anyone which.
      c.set('mailQueued', true)
      c.header('Cache-Control', 'no-store')
      return c.json({ detail: RESET_REQUESTED }, 202)
    })
    .openapi(setPasswordRoute, async (c) => {
      if (!canSign(config)) throw problems.accountsDisabled()
      const { token, newPassword } = c.req.valid('json')
      const tokenHash = await presentedLinkTokenHash(token)
      if (tokenHash === undefined) throw problems.invalidLinkToken()
      const [newPasswordHash, refresh] = await Promise.all([hashPassword(newPassword), newRefresh(config)])
      const user = await timeDatabase(c, () =>
        setPasswordWithToken(db, { tokenHash, newPasswordHash, refresh: refresh.stored }),
      )
      if (!user) throw problems.invalidLinkToken()
      const identity = { userId: String(user.id), role: user.role }
      const session = await issueTokens(deps, c, identity, refresh.token, refresh.stored.familyId)
      return c.json({ user: toUserResponse(user), ...session }, 200)
    })
}
