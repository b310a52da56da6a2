/**
 * The `/account` page's forms without JavaScript: rename yourself, change your password. Each goes to the API
 * in-process as the signed-in browser, and the browser comes back to `/account`. (Log-out buttons post straight to
 * `/api/auth/logout`, the only path the refresh cookie is sent to.)
 */
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
} from './form-kit'

const ACCOUNT_PAGE = '/account'

/** Handles `POST /account/submit`; the button pressed (`intent`) says which form it was. */
export async function submitAccountForm(site: FormSite, request: Request): Promise<Response> {
  const received = await receiveForm(request)
  if ('refusal' in received) return received.refusal
  const fields = fieldsOf(received.data, ['intent', 'id', 'name', 'currentPassword', 'newPassword'])

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
    if (answer.ok) return backToPage(site, request, ACCOUNT_PAGE, { notice: 'Your name is changed.' })
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
  return backToPage(site, request, ACCOUNT_PAGE, { problem: plainProblem('Unknown action.') })
}

function signInAgain(): Response {
  return seeOther(logInThenReturnTo(ACCOUNT_PAGE))
}
