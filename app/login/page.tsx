/** `/login`: where signed-out visitors are sent (`?next=` brings them back), and where the session starts. */
import { AuthForm } from '../auth-form'

export const runtime = 'edge'

export default async function LoginPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>
}) {
  const query = await searchParams
  const next = typeof query.next === 'string' ? query.next : '/'
  return (
    <main>
      <h1>Log in</h1>
      <AuthForm form="login" query={query} />
      <p>
        No account? <a href={`/signup?next=${encodeURIComponent(next)}`}>Sign up</a>
      </p>
    </main>
  )
}
