/**
 * The emailed-link pages' forms without JavaScript: ask for a reset link, set a password from a reset link or an
 * invitation, confirm a new email address. Each goes to the API in-process, and the browser comes back to the form
 * with the API's answer, or, done, on to where it can go on.
 */
import { RESET_PASSWORD_PAGE, VERIFY_EMAIL_PAGE } from '../auth/account-links'
import {
  backToPage,
  callApiAs,
  type FormSite,
  fieldsOf,
  readProblem,
  receiveForm,
  sendToPage,
  userViewer,
} from './form-kit'

export const FORGOT_PASSWORD_PAGE = '/forgot-password'

/** Handles `POST /forgot-password/submit`: the same notice whether or not an account has the address. */
export async function submitForgotPassword(site: FormSite, request: Request): Promise<Response> {
  const received = await receiveForm(request)
  if ('refusal' in received) return received.refusal
  const { email } = fieldsOf(received.data, ['email'])
  const answer = await callApiAs(site.api, request, '/api/auth/password-reset', {
    method: 'POST',
    json: { email },
  })
  if (answer.ok) {
    const { detail } = (await answer.json()) as { detail: string }
    return backToPage(site, request, FORGOT_PASSWORD_PAGE, { notice: `${detail} Check your mailbox.` })
  }
  return backToPage(site, request, FORGOT_PASSWORD_PAGE, {
    problem: await readProblem(answer),
    kept: { email: email ?? '' },
  })
}

/** The page a link's form came from, with its token (and whether it is an invitation) kept. */
function linkPage(page: string, token: string, invited: boolean): string {
  const query = new URLSearchParams({ token })
  if (invited) query.set('invited', '1')
  return `${page}?${query}`
}

/** Handles `POST /reset-password/submit`: the password is set and the browser signed in, on to the home page. */
export async function submitResetPassword(site: FormSite, request: Request): Promise<Response> {
  const received = await receiveForm(request)
  if ('refusal' in received) return received.refusal
  const { token = '', newPassword, invited } = fieldsOf(received.data, ['token', 'newPassword', 'invited'])
  const answer = await callApiAs(site.api, request, '/api/auth/password-reset/confirm', {
    method: 'POST',
    json: { token, newPassword },
  })
  if (answer.ok) {
    const { user } = (await answer.json()) as { user: { id: number; email: string } }
    const notice = `Your password is set, and you are logged in as ${user.email}.`
    return sendToPage(site, '/', { notice }, userViewer(String(user.id)), answer.headers.getSetCookie())
  }
  const page = linkPage(RESET_PASSWORD_PAGE, token, invited === '1')
  return backToPage(site, request, page, { problem: await readProblem(answer) })
}

/** Handles `POST /verify-email/submit`: the new address confirmed, on to log in with it. */
export async function submitVerifyEmail(site: FormSite, request: Request): Promise<Response> {
  const received = await receiveForm(request)
  if ('refusal' in received) return received.refusal
  const { token = '' } = fieldsOf(received.data, ['token'])
  const answer = await callApiAs(site.api, request, '/api/auth/email/confirm', {
    method: 'POST',
    json: { token },
  })
  if (answer.ok) {
    const { email } = (await answer.json()) as { email: string }
    return backToPage(site, request, '/login', {
      notice: `Your email address is now ${email}. Log in with it.`,
    })
  }
  return backToPage(site, request, linkPage(VERIFY_EMAIL_PAGE, token, false), {
    problem: await readProblem(answer),
  })
}
