/**
 * The `/users` page's forms without JavaScript: create, rename and delete go to the Users API in-process, as the
 * signed-in browser, so the API's role rules decide (a hidden button is a courtesy; the refusal is the API's).
 */
import { logInThenReturnTo } from '../auth/gate'
import { USER_ID_TEXT } from '../schemas/users'
import {
  backToPage,
  callApiAs,
  type FormProblem,
  type FormSite,
  fieldsOf,
  plainProblem,
  readProblem,
  receiveForm,
  sameSitePath,
  seeOther,
} from './form-kit'

const USERS_PAGE = '/users'

type Intent = 'create' | 'rename' | 'delete'

/** What each button asks the API, and how the page words the outcome. */
const INTENTS: Record<
  Intent,
  (fields: Record<string, string>) => { method: string; path: string; json?: unknown }
> = {
  create: ({ name, email, role }) => ({
    method: 'POST',
    path: '/api/users',
    json: { name, email, ...(role ? { role } : {}) },
  }),
  rename: ({ id, name }) => ({ method: 'PATCH', path: `/api/users/${id}`, json: { name } }),
  delete: ({ id }) => ({ method: 'DELETE', path: `/api/users/${id}` }),
}

/** Handles `POST /users/submit`, then sends the browser back to the list it was on (search and page kept). */
export async function submitUsersForm(site: FormSite, request: Request): Promise<Response> {
  const received = await receiveForm(request)
  if ('refusal' in received) return received.refusal
  const { data } = received
  const fields = fieldsOf(data, ['intent', 'id', 'name', 'email', 'role'])
  const back = sameSitePath(data.get('back'), USERS_PAGE)
  const returnTo = back === USERS_PAGE || back.startsWith(`${USERS_PAGE}?`) ? back : USERS_PAGE
  const intent = fields.intent as Intent
  if (!Object.hasOwn(INTENTS, intent)) {
    return backToPage(site, request, returnTo, { problem: plainProblem('Unknown action.') })
  }
  // The id becomes part of a path: only digits, so `../auth/logout` cannot aim the call at another route.
  if (intent !== 'create' && !USER_ID_TEXT.test(fields.id ?? '')) {
    return backToPage(site, request, returnTo, { problem: plainProblem('That user id is not valid.') })
  }

  const call = INTENTS[intent](fields)
  const answer = await callApiAs(site.api, request, call.path, call)
  if (answer.status === 401) return seeOther(logInThenReturnTo(returnTo))
  // The API's cookie of the write's position goes along, so the list the browser lands on shows the change even
  // when it is read from a replica (decision 0037).
  if (answer.ok) {
    const notice = await noticeFor(intent, answer, fields)
    return backToPage(site, request, returnTo, { notice }, answer.headers.getSetCookie())
  }

  const problem = await readProblem(answer)
  if (intent === 'create') {
    // The create form shows field errors beside its inputs, and keeps what was typed.
    const { name = '', email = '', role = '' } = fields
    return backToPage(site, request, returnTo, { problem, kept: { name, email, role } })
  }
  // A row's form has no room for field errors: they join the message at the top of the page.
  return backToPage(site, request, returnTo, { problem: flattened(problem) })
}

async function noticeFor(intent: Intent, answer: Response, fields: Record<string, string>): Promise<string> {
  if (intent === 'delete') return `Deleted user #${fields.id}.`
  const user = (await answer.json()) as { id: number; name: string }
  return intent === 'create' ? `Created ${user.name} (#${user.id}).` : `Renamed #${user.id} to ${user.name}.`
}

function flattened(problem: FormProblem): FormProblem {
  if (problem.errors.length === 0) return problem
  const details = problem.errors.map((error) => `the ${error.field} ${error.detail}`)
  return plainProblem(`That did not work: ${details.join('; ')}.`)
}
