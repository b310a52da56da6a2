/**
 * `/`: what Edgeline is, and where to go. It reads no data of its own: a signed-out visit costs no database round
 * trip, a signed-in one the header's account. The database's live status is `GET /api/health`'s job (linked below),
 * not a round trip every visitor pays for.
 */
import { OutcomeMessage, readOutcome } from './outcome'
import type { PageQuery } from './page-query'
import { viewPage } from './page-view'
import { SiteHeader } from './site-header'

export const runtime = 'edge'
// Who is signed in changes the page: render on every request, never at build time.
export const dynamic = 'force-dynamic'

export default async function HomePage({ searchParams }: { searchParams: Promise<PageQuery> }) {
  const view = await viewPage('/')
  const signedIn = view.identity !== undefined
  // A form post may send the browser here with a notice: a welcome after sign-up, a deleted account's goodbye.
  const outcome = await readOutcome(await searchParams, '/')
  return (
    <>
      <SiteHeader view={view} />
      <main>
        <h1>Edgeline</h1>
        <OutcomeMessage outcome={outcome} />
        <p>
          An edge-native backend on Next.js: every request is served by an edge function and reaches Postgres
          over Neon&apos;s HTTP protocol, locally too.
        </p>
        <h2>Explore</h2>
        <ul>
          {signedIn ? (
            <li>
              <a href="/users">The users</a> and <a href="/account">your account</a>
            </li>
          ) : (
            <li>
              <a href="/login">Log in</a> or <a href="/signup">sign up</a>
            </li>
          )}
          <li>
            <a href="/api/docs">API reference</a> (<a href="/api/openapi.json">OpenAPI document</a>)
          </li>
          <li>
            <a href="/api/hello">
              <code>GET /api/hello</code>
            </a>{' '}
            and{' '}
            <a href="/api/health">
              <code>GET /api/health</code>
            </a>{' '}
            (the database&apos;s live status and round trip)
          </li>
        </ul>
      </main>
    </>
  )
}
