/**
 * What each page view costs, counted (never timed): the database round trips that reach the SQL endpoint, and the
 * HTTP requests the app makes to its own API (each one is an access-log line). On a server of its own, of this
 * project's kind (`next start` or the production server), whose endpoint is a counting one, so nothing else counts.
 */
import type { ChildProcess } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { encodeCursor } from '../../edge/cursor'
import { type Credentials, createE2eAccount } from './accounts'
import { startNextServer, startProductionServer, stop, waitUntilServing } from './built-server'
import { type CountingGateway, startCountingGateway } from './counting-gateway'

const kind = inject('serverKind')
let gateway: CountingGateway
let server: ChildProcess
let appUrl: string
/** The access-log lines of the server, in the order it wrote them. */
const logLines: { requestId: string; method: string; path: string }[] = []
let admin: Credentials
/** The session cookie of `admin`, as a browser that logged in holds it. */
let sessionCookie: string

beforeAll(async () => {
  gateway = await startCountingGateway(inject('sqlEndpoint'))
  const log = createWriteStream(`test-results/e2e/page-round-trips-${kind}.log`)
  const databaseUrl = inject('databaseUrl')
  ;({ server, appUrl } =
    kind === 'node'
      ? await startProductionServer(databaseUrl, gateway.url, log, true)
      : await startNextServer(databaseUrl, gateway.url, log))
  readAccessLog(server)
  await waitUntilServing(server, `${appUrl}/api/hello`, 60_000, String(log.path))
  admin = await createE2eAccount('admin', 'counted')
  const login = await fetch(`${appUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: admin.email, password: admin.password }),
  })
  if (login.status !== 200) throw new Error(`log-in answered ${login.status}: ${await login.text()}`)
  sessionCookie = `__Host-edgeline_session=${((await login.json()) as { accessToken: string }).accessToken}`
})

afterAll(async () => {
  if (server) await stop(server)
  await gateway?.close()
})

/** Collects the server's JSON access-log lines as they come. */
function readAccessLog(child: ChildProcess): void {
  let pending = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    pending += chunk.toString()
    const lines = pending.split('\n')
    pending = lines.pop() ?? ''
    for (const line of lines) {
      if (!line.startsWith('{')) continue
      try {
        const entry = JSON.parse(line) as { msg?: string; requestId: string; method: string; path: string }
        if (entry.msg === 'request') logLines.push(entry)
      } catch {
        // Not a log line of ours.
      }
    }
  })
}

/**
 * Asks `/api/hello` (no database) under a request id of our own and waits for its log line: everything the server
 * logged before that line happened before, even when its log is written asynchronously (the production server's).
 */
async function mark(): Promise<number> {
  const requestId = `count-mark-${crypto.randomUUID()}`
  const answer = await fetch(`${appUrl}/api/hello`, { headers: { 'x-request-id': requestId } })
  await answer.arrayBuffer()
  const deadline = Date.now() + 10_000
  while (Date.now() < deadline) {
    const index = logLines.findIndex((line) => line.requestId === requestId)
    if (index >= 0) return index
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error(`the access log never showed ${requestId}`)
}

interface PageViewCost {
  status: number
  /** Round trips that reached the SQL endpoint (a batch is one). */
  databaseRoundTrips: number
  /** Requests to /api the server answered meanwhile: made by the page itself, to its own API. */
  requestsToOwnApi: string[]
}

async function costOf(path: string, signedIn: boolean): Promise<PageViewCost & { html: string }> {
  const start = await mark()
  const before = gateway.requests()
  const response = await fetch(`${appUrl}${path}`, {
    headers: signedIn ? { cookie: sessionCookie } : {},
    redirect: 'manual',
  })
  const html = await response.text()
  const databaseRoundTrips = gateway.requests() - before
  const end = await mark()
  const requestsToOwnApi = logLines.slice(start + 1, end).map((line) => `${line.method} ${line.path}`)
  return { status: response.status, databaseRoundTrips, requestsToOwnApi, html }
}

const free = (status: number): PageViewCost => ({ status, databaseRoundTrips: 0, requestsToOwnApi: [] })
const oneRoundTrip = (status: number): PageViewCost => ({
  status,
  databaseRoundTrips: 1,
  requestsToOwnApi: [],
})

describe(`the cost of a page view (${kind === 'node' ? 'production server' : 'next start'})`, () => {
  it('costs a signed-out visitor no round trip and no request to the API, whatever the page', async () => {
    const views: [string, PageViewCost][] = [
      ['/', free(200)],
      ['/login', free(200)],
      ['/signup?next=%2Fusers', free(200)],
      // The middleware sends a visitor without a session on to renew it, before any page function runs.
      ['/users', free(303)],
      ['/account', free(303)],
      ['/no-such-page', free(303)],
    ]
    // Every view is measured before any is judged, so a failure shows the whole table.
    const costs: Record<string, PageViewCost> = {}
    for (const [path] of views) {
      const { html: _html, ...cost } = await costOf(path, false)
      costs[path] = cost
    }
    expect(costs).toEqual(Object.fromEntries(views))
  })

  it('costs a signed-in visitor one round trip and no request to the API, the list and the account batched', async () => {
    const views: [string, PageViewCost][] = [
      ['/', oneRoundTrip(200)],
      ['/users', oneRoundTrip(200)],
      ['/users?q=counted', oneRoundTrip(200)],
      [`/users?cursor=${encodeCursor({ direction: 'after', id: 1 })}`, oneRoundTrip(200)],
      [`/users?q=e2e&cursor=${encodeCursor({ direction: 'before', id: 2_000_000 })}`, oneRoundTrip(200)],
      // A cursor the API refuses: the page says why, and reads only the account.
      ['/users?cursor=not-a-cursor', oneRoundTrip(200)],
      ['/account', oneRoundTrip(200)],
      ['/account?delete=me', oneRoundTrip(200)],
      ['/login', oneRoundTrip(200)],
      ['/signup', oneRoundTrip(200)],
      // Next renders the not-found page into every page's payload, so it reads nothing (its header names the id).
      ['/no-such-page', free(404)],
    ]
    const costs: Record<string, PageViewCost> = {}
    const unnamed: string[] = []
    for (const [path] of views) {
      const { html, ...cost } = await costOf(path, true)
      costs[path] = cost
      // The one round trip is the one that names who is signed in, in the header.
      if (cost.databaseRoundTrips > 0 && !html.includes(`>${admin.name}</strong>`)) unnamed.push(path)
    }
    expect(costs).toEqual(Object.fromEntries(views))
    expect(unnamed).toEqual([])
  })

  it('shows the searched list from that one round trip', async () => {
    const { html, ...cost } = await costOf(`/users?q=${encodeURIComponent(admin.email)}`, true)
    expect(cost).toEqual(oneRoundTrip(200))
    expect(html).toContain(`<td>${admin.email}</td>`)
  })
})
