/** `/`: what Edgeline is, and the live state of its database, from the same health check the API serves. */
import { headers } from 'next/headers'
import { readIdentityHeaders } from '@/edge/auth/credentials'
import { pageApi } from '@/edge/pages/page-api'
import { OutcomeMessage, readOutcome } from './outcome'
import type { PageQuery } from './page-query'

export const runtime = 'edge'
// The database status is live: render on every request, never at build time.
export const dynamic = 'force-dynamic'

interface Health {
  database?: { status: string; roundTripMs: number }
}

/** Asks `GET /api/health` through the typed client (edge/pages/page-api.ts). */
async function readDatabaseStatus(): Promise<{ up: boolean; roundTripMs?: number }> {
  const response = await pageApi(await headers()).api.health.$get()
  const health = (await response.json()) as Health
  return { up: response.ok, roundTripMs: health.database?.roundTripMs }
}

export default async function HomePage({ searchParams }: { searchParams: Promise<PageQuery> }) {
  const database = await readDatabaseStatus()
  const signedIn = readIdentityHeaders(await headers()) !== undefined
  // A form post may send the browser here with a notice: a welcome after sign-up, a deleted account's goodbye.
  const outcome = await readOutcome(await searchParams, '/')
  return (
    <main>
      <h1>Edgeline</h1>
      <OutcomeMessage outcome={outcome} />
      <p>
        An edge-native backend on Next.js: every request is served by an edge function and reaches Postgres
        over Neon&apos;s HTTP protocol, locally too.
      </p>
      <h2>Status</h2>
      <p id="database-status" className={database.up ? 'status-up' : 'status-down'}>
        {database.up
          ? `Database up (round trip ${database.roundTripMs} ms)`
          : 'Database unreachable: the API answers 503 until it is back.'}
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
          </a>
        </li>
      </ul>
    </main>
  )
}
