/**
 * The log-in and sign-up forms without JavaScript: their fields go to the same Hono routes as the JSON API
 * (in-process), and the browser gets a 303 to `next` (after a sign-up, with a welcome), or back to the form with
 * the API's problem.
 */
import {
  backToPage,
  callApiAs,
  type FormSite,
  fieldsOf,
  readProblem,
  receiveForm,
  sameSitePath,
  seeOther,
  sendToPage,
  userViewer,
} from './form-kit'

type AuthForm = 'login' | 'signup'

const FIELDS: Record<AuthForm, readonly string[]> = {
  login: ['email', 'password'],
  signup: ['name', 'email', 'password'],
}

/**
 * Handles `POST /login/submit` or `POST /signup/submit`: success sets the session cookies the API set and sends the
 * browser to `next`; failure sends it back to the form with the problem's detail and field errors in the query.
 */
export async function submitAuthForm(site: FormSite, form: AuthForm, request: Request): Promise<Response> {
  const received = await receiveForm(request)
  if ('refusal' in received) return received.refusal
  const { data } = received
  const next = sameSitePath(data.get('next'))
  const body = fieldsOf(data, FIELDS[form])
  const answer = await callApiAs(site.api, request, `/api/auth/${form}`, { method: 'POST', json: body })
  if (answer.ok) {
    const cookies = answer.headers.getSetCookie()
    // The API's own paths show no notices: only a page gets the welcome.
    if (form === 'login' || next.startsWith('/api/')) return seeOther(next, cookies)
    // Sealed for the account just made: the browser comes back signed in as it.
    const { user } = (await answer.json()) as { user: { id: number; name: string } }
    const notice = `Welcome to Edgeline, ${user.name}: your account is ready.`
    return sendToPage(site, next, { notice }, userViewer(String(user.id)), cookies)
  }

  // Keep what was typed, except the password.
  const { password: _password, ...kept } = body
  return backToPage(site, request, `/${form}?next=${encodeURIComponent(next)}`, {
    problem: await readProblem(answer),
    kept,
  })
}
