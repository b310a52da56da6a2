/** Passwords: the signed-in caller changes theirs, which ends every session of the account. */
import { changePassword } from '../../../db/queries/accounts'
import { builtInUserId } from '../../auth/built-in-user'
import { hashPassword } from '../../auth/password'
import { answerWritten, consistencyResponseHeader } from '../../consistency'
import { currentIdentity } from '../../middleware/authenticate'
import { timeDatabase } from '../../middleware/server-timing'
import { inSpan } from '../../middleware/trace'
import { documented, onlyInDocs } from '../../openapi'
import { problems } from '../../problem'
import { createRoute, createRouter } from '../../router'
import { ChangePasswordSchema, SessionSchema } from '../../schemas/auth'
import { problemResponse } from '../../schemas/problem'
import { toUserResponse } from '../../user-response'
import {
  type AuthDependencies,
  canSign,
  checkCurrentPassword,
  issueTokens,
  json,
  newRefresh,
} from './session-kit'

const changePasswordRoute = createRoute({
  ...onlyInDocs(() =>
    documented({
      operationId: 'changePassword',
      tag: 'Authentication',
      summary: 'Change the password',
      description:
        'Checks the current password, sets the new one (8 to 256 characters), ends every session of the account ' +
        'and starts a new one for the caller. Access tokens already issued stay valid until they expire.',
      touchesDatabase: true,
    }),
  ),
  method: 'post',
  path: '/password',
  request: { body: { required: true, content: json(ChangePasswordSchema) } },
  ...onlyInDocs(() => ({
    responses: {
      200: {
        description:
          'The password is changed and every refresh token of the account revoked; this new session (cookies ' +
          "too) replaces the caller's",
        headers: consistencyResponseHeader,
        content: json(SessionSchema),
      },
      403: problemResponse(
        'The caller is a subject of the external identity provider, not a built-in account: it has no password here',
      ),
      404: problemResponse('The account of the access token no longer exists'),
      422: problemResponse(
        'Invalid fields (/problems/validation-failed), or the current password is wrong or the account has none ' +
          '(/problems/wrong-password, with a field error on currentPassword)',
      ),
      429: problemResponse(
        'Too many failed log-ins or password checks for this account or client (the log-in throttle); ' +
          'see Retry-After',
      ),
      501: problemResponse('Built-in accounts are disabled (external identity provider only)'),
    },
  })),
})

export function passwordRoutes(deps: AuthDependencies) {
  const { db, config, reads } = deps
  return createRouter().openapi(changePasswordRoute, async (c) => {
    if (!canSign(config)) throw problems.accountsDisabled()
    const userId = builtInUserId(currentIdentity(c))
    if (userId === undefined) {
      throw problems.forbidden(
        'Only built-in accounts have a password here; change it with your identity provider.',
      )
    }
    const { currentPassword, newPassword } = c.req.valid('json')
    // Counted like a log-in before it is checked (checkCurrentPassword): a stolen access token buys no more guesses.
    const { verifiedPasswordHash, emailBucket, clientBucket } = await checkCurrentPassword(
      deps,
      c,
      userId,
      currentPassword,
    )
    const [newPasswordHash, refresh] = await Promise.all([
      inSpan(c, 'hash password', () => hashPassword(newPassword)),
      newRefresh(config),
    ])
    const changed = await timeDatabase(c, () =>
      changePassword(db, {
        userId,
        verifiedPasswordHash,
        newPasswordHash,
        refresh: refresh.stored,
        emailBucket,
        clientBucket,
      }),
    )
    // A concurrent change (or deletion) won: the password just verified is no longer the current one.
    if (!changed) throw problems.wrongPassword()
    const identity = { userId: String(changed.id), role: changed.role }
    const session = await issueTokens(deps, c, identity, refresh.token, refresh.stored.familyId)
    answerWritten(c, changed.position, reads)
    return c.json({ user: toUserResponse(changed), ...session }, 200)
  })
}
