/**
 * The `/account` page's forms without JavaScript: rename yourself, change your password or your email, delete your
 * account. Each
 * goes to the API in-process as the signed-in browser, and the browser comes back to `/account` (or, its account
 * deleted, to `/`). (Log-out buttons post straight to `/api/auth/logout`, the only path the refresh cookie is sent
 * to.)
 */
import { readIdentityHeaders } from '../auth/credentials'
import { logInThenReturnTo } from '../auth/gate'
import { USER_ID_TEXT } from '../schemas/users'
import {
  backToPage,
  callApiAs,
  type FormSite,
  fieldsOf,
  plainProblem,
  readProblem,
  receiveForm,
  seeOther,
  sendToPage,
} from './form-kit'
import { ANONYMOUS_VIEWER } from './outcome-seal'

const ACCOUNT_PAGE = '/account'

/** Handles `POST /account/submit`; the button pressed (`intent`) says which form it was. */
export async function submitAccountForm(site: FormSite, request: Request): Promise<Response> {
  const received = await receiveForm(request)
  if ('refusal' in received) return received.refusal
  const fields = fieldsOf(received.data, [
    'intent',
    'id',
    'name',
    'currentPassword',
    'newPassword',
    'newEmail',
    'emailPassword',
  ])

  if (fields.intent === 'rename') {
    // Only digits become part of the path, so the call cannot be aimed at another route.
    if (!USER_ID_TEXT.test(fields.id ?? '')) {
      return backToPage(site, request, ACCOUNT_PAGE, {
        problem: plainProblem('Reload the page and try again.'),
      })
    }
    const answer = await callApiAs(site.api, request, `/api/users/${fields.id}`, {
      method: 'PATCH',
      json: { name: fields.name },
    })
    if (answer.status === 401) return signInAgain()
    if (answer.ok) {
      // With the write's position (a cookie), so /account shows the new name even when read from a replica.
      const notice = 'Your name is changed.'
      return backToPage(site, request, ACCOUNT_PAGE, { notice }, answer.headers.getSetCookie())
    }
    const kept = { name: fields.name ?? '' }
    return backToPage(site, request, ACCOUNT_PAGE, { problem: await readProblem(answer), kept })
  }
  if (fields.intent === 'password') {
    const answer = await callApiAs(site.api, request, '/api/auth/password', {
      method: 'POST',
      json: { currentPassword: fields.currentPassword, newPassword: fields.newPassword },
    })
    if (answer.status === 401) return signInAgain()
    if (answer.ok) {
      // The API started a new session for this browser (every other one is over): pass its cookies on.
      // Other sessions can no longer refresh; an access token they already hold lives out its 15 minutes at most.
      const notice =
        'Your password is changed. Other sessions can no longer renew themselves: they end within 15 minutes.'
      return backToPage(site, request, ACCOUNT_PAGE, { notice }, answer.headers.getSetCookie())
    }
    return backToPage(site, request, ACCOUNT_PAGE, { problem: await readProblem(answer) })
  }
  if (fields.intent === 'email') {
    const answer = await callApiAs(site.api, request, '/api/auth/email', {
      method: 'POST',
      json: { newEmail: fields.newEmail, currentPassword: fields.emailPassword },
    })
    if (answer.status === 401) return signInAgain()
    // The API's own words: where the link went, and that nothing changes until it is followed.
    if (answer.ok) return backToPage(site, request, ACCOUNT_PAGE, { notice: (await answer.json()).detail })
    const problem = await readProblem(answer)
    // This form's password field is `emailPassword`, so a wrong password shows here, not in the password form.
    const errors = problem.errors.map((error) =>
      error.field === 'currentPassword' ? { ...error, field: 'emailPassword' } : error,
    )
    const kept = { newEmail: fields.newEmail ?? '' }
    return backToPage(site, request, ACCOUNT_PAGE, { problem: { ...problem, errors }, kept })
  }
  if (fields.intent === 'delete') return deleteOwnAccount(site, request)
  return backToPage(site, request, ACCOUNT_PAGE, { problem: plainProblem('Unknown action.') })
}

/**
 * The confirmed delete: always the signed-in user's own account (the id comes from the verified identity, never
 * from the form, so a tampered field cannot aim it at someone else), then the API's log-out clears this browser's
 * cookies, since the access token would otherwise outlive its account by up to 15 minutes.
 */
async function deleteOwnAccount(site: FormSite, request: Request): Promise<Response> {
  const userId = readIdentityHeaders(request.headers)?.userId
  if (userId === undefined || !USER_ID_TEXT.test(userId)) return signInAgain()
  const answer = await callApiAs(site.api, request, `/api/users/${userId}`, { method: 'DELETE' })
  if (answer.status === 401) return signInAgain()
  if (!answer.ok) return backToPage(site, request, ACCOUNT_PAGE, { problem: await readProblem(answer) })
  const loggedOut = await callApiAs(site.api, request, '/api/auth/logout', { method: 'POST' })
  const notice = 'Your account is deleted, and this browser is logged out.'
  const cookies = [...answer.headers.getSetCookie(), ...loggedOut.headers.getSetCookie()]
  return sendToPage(site, '/', { notice }, ANONYMOUS_VIEWER, cookies)
}

function signInAgain(): Response {
  return seeOther(logInThenReturnTo(ACCOUNT_PAGE))
}
