/** `/signup`: creates an account (role `user`) and signs it in. */
import { AuthForm } from '../auth-form'

export const runtime = 'edge'

export default async function SignupPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>
}) {
  const query = await searchParams
  const next = typeof query.next === 'string' ? query.next : '/'
  return (
    <main>
      <h1>Sign up</h1>
      <AuthForm form="signup" query={query} />
      <p>
        Already have an account? <a href={`/login?next=${encodeURIComponent(next)}`}>Log in</a>
      </p>
    </main>
  )
}
