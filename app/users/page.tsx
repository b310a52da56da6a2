/**
 * `/users`: the signed-in view of the Users API. Server-rendered from the API's own list query and rules, read
 * in-process in one round trip with the header's account, with search, keyset pages, and the forms the caller's
 * role allows (the API refuses the others anyway).
 */
import type { Metadata } from 'next'
import { redirect } from 'next/navigation'
import type { ReactNode } from 'react'
import { logInThenReturnTo } from '@/edge/auth/gate'
import { isSelf, mayChangeUser, mayManageUsers } from '@/edge/auth/permissions'
import type { Identity } from '@/edge/auth/tokens'
import type { Outcome } from '@/edge/pages/outcome-seal'
import { readUsersListQuery } from '@/edge/pages/users-list-query'
import type { Problem } from '@/edge/problem'
import type { UserResponse } from '@/edge/schemas/users'
import { FormField } from '../form-field'
import { OutcomeMessage, readOutcome } from '../outcome'
import { type PageQuery, queryValue } from '../page-query'
import { viewPage } from '../page-view'
import { SiteHeader } from '../site-header'

export const runtime = 'edge'
export const metadata: Metadata = { title: 'Users' }

export default async function UsersPage({ searchParams }: { searchParams: Promise<PageQuery> }) {
  const query = await searchParams
  const q = queryValue(query, 'q') ?? ''
  const cursor = queryValue(query, 'cursor')
  const here = usersPath({ q, cursor })
  const view = await viewPage('/users', { users: readUsersListQuery({ q, cursor }) })
  const { identity, usersPage: page } = view
  // middleware.ts sends a visitor without a session to log in before this page runs; this is the same rule.
  if (!identity) redirect(logInThenReturnTo(here))
  const outcome = await readOutcome(query, '/users')
  const listError = view.problem ? problemText(view.problem) : undefined
  // `?delete=<id>`: the confirmation step of a row's Delete (a link, so it needs no script). Only a row of this
  // very list that the table offers to delete; anything else shows the plain list.
  const deleteId = queryValue(query, 'delete')
  const toDelete = page?.data.find(
    (user) => String(user.id) === deleteId && mayDeleteFromList(identity, user),
  )

  return (
    <>
      <SiteHeader view={view} />
      <main>
        <h1>Users</h1>
        <OutcomeMessage outcome={outcome} />
        <search>
          <form method="get" action="/users">
            <label htmlFor="q">Search names and emails</label>{' '}
            <input id="q" name="q" type="search" defaultValue={q} maxLength={200} />{' '}
            <button type="submit">Search</button> {q ? <a href="/users">Clear</a> : null}
          </form>
        </search>
        {listError ? <p role="alert">{listError}</p> : null}
        {toDelete ? <ConfirmDelete user={toDelete} back={here} /> : null}
        {page ? (
          <UsersTable
            users={page.data}
            identity={identity}
            back={here}
            confirmPath={(user) => usersPath({ q, cursor, confirmDelete: user.id })}
          />
        ) : null}
        <p className="pages">
          {cursor ? <a href={usersPath({ q })}>First page</a> : null}{' '}
          {page?.prevCursor ? (
            <a href={usersPath({ q, cursor: page.prevCursor })} rel="prev">
              Previous page
            </a>
          ) : null}{' '}
          {page?.nextCursor ? (
            <a href={usersPath({ q, cursor: page.nextCursor })} rel="next">
              Next page
            </a>
          ) : null}
        </p>
        {mayManageUsers(identity) ? (
          <CreateUserForm query={query} outcome={outcome} back={here} />
        ) : (
          <p>Only an admin can create or delete users; you can rename yourself.</p>
        )}
      </main>
    </>
  )
}

/** Whom a row offers to delete: whoever the API lets you delete, but not yourself (/account does that, and logs out). */
function mayDeleteFromList(identity: Identity, user: UserResponse): boolean {
  return mayChangeUser(identity, user.id) && !isSelf(identity, user.id)
}

function usersPath({
  q,
  cursor,
  confirmDelete,
}: {
  q?: string
  cursor?: string | undefined
  confirmDelete?: number
}): string {
  const params = new URLSearchParams()
  if (q) params.set('q', q)
  if (cursor) params.set('cursor', cursor)
  if (confirmDelete !== undefined) params.set('delete', String(confirmDelete))
  const search = params.toString()
  return search ? `/users?${search}` : '/users'
}

function UsersTable({
  users,
  identity,
  back,
  confirmPath,
}: {
  users: UserResponse[]
  identity: Identity
  back: string
  confirmPath: (user: UserResponse) => string
}) {
  if (users.length === 0) return <p>No users found.</p>
  return (
    <table>
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Email</th>
          <th scope="col">Role</th>
          <th scope="col">Actions</th>
        </tr>
      </thead>
      <tbody>
        {users.map((user) => {
          const yours = isSelf(identity, user.id)
          return (
            <tr key={user.id} id={`user-${user.id}`}>
              <td>
                {user.name}
                {yours ? ' (you)' : ''}
              </td>
              <td>{user.email}</td>
              <td>{user.role}</td>
              <td>
                {mayChangeUser(identity, user.id) ? <RenameForm user={user} back={back} /> : null}
                {mayDeleteFromList(identity, user) ? (
                  <a href={confirmPath(user)} className="delete" aria-label={`Delete ${user.name}`}>
                    Delete
                  </a>
                ) : null}
              </td>
            </tr>
          )
        })}
      </tbody>
    </table>
  )
}

/** A form of one row: which user, and which list to come back to. */
function RowForm({ user, back, children }: { user: UserResponse; back: string; children: ReactNode }) {
  return (
    <form method="post" action="/users/submit" className="inline">
      <input type="hidden" name="id" value={user.id} />
      <input type="hidden" name="back" value={back} />
      {children}
    </form>
  )
}

function RenameForm({ user, back }: { user: UserResponse; back: string }) {
  return (
    <RowForm user={user} back={back}>
      <input
        name="name"
        defaultValue={user.name}
        aria-label={`New name for ${user.name}`}
        required
        maxLength={200}
      />{' '}
      <button type="submit" name="intent" value="rename">
        Rename
      </button>
    </RowForm>
  )
}

/** The second step of a delete: who exactly, what it means, and a Cancel that goes back to the same list. */
function ConfirmDelete({ user, back }: { user: UserResponse; back: string }) {
  return (
    <section className="confirm" aria-labelledby="confirm-delete">
      <h2 id="confirm-delete">Delete {user.name}?</h2>
      <p>
        The account of {user.name} ({user.email}) and all its sessions will be deleted. This cannot be undone.
      </p>
      <RowForm user={user} back={back}>
        <button type="submit" name="intent" value="delete">
          Yes, delete {user.name}
        </button>{' '}
        <a href={back}>Cancel</a>
      </RowForm>
    </section>
  )
}

const CREATE_FIELDS = [
  { name: 'name', label: 'Name', type: 'text' },
  { name: 'email', label: 'Email', type: 'email' },
] as const

function CreateUserForm({ query, outcome, back }: { query: PageQuery; outcome: Outcome; back: string }) {
  const roleError = outcome.fieldErrors.role
  return (
    <form method="post" action="/users/submit" noValidate aria-labelledby="create-user">
      <h2 id="create-user">Create a user</h2>
      <input type="hidden" name="back" value={back} />
      {CREATE_FIELDS.map((field) => (
        <FormField
          key={field.name}
          id={`new-${field.name}`}
          name={field.name}
          label={field.label}
          type={field.type}
          defaultValue={queryValue(query, field.name)}
          error={outcome.fieldErrors[field.name]}
        />
      ))}
      <p>
        <label htmlFor="new-role">Role</label>
        <br />
        <select id="new-role" name="role" defaultValue={queryValue(query, 'role') ?? 'user'}>
          <option value="user">user</option>
          <option value="admin">admin</option>
        </select>
        {roleError ? <small className="field-error"> {roleError}</small> : null}
      </p>
      <button type="submit" name="intent" value="create">
        Create user
      </button>
    </form>
  )
}

/** A refused list (a bad `cursor` or `q` in the address, the database down) as one sentence: the API's problem. */
function problemText(problem: Problem): string {
  const fields = (problem.errors ?? []).map((error) => `${error.field} ${error.detail}.`)
  return [problem.detail, ...fields].join(' ')
}
