/** The backends the conformance suite runs against, and a Neon client pointed at the test run's gateway. */
import { neon, neonConfig } from '@neondatabase/serverless'
import { afterAll, inject } from 'vitest'
import { EMBEDDED_DATABASE_HOST } from '../../db/database-url'
import { startSqlGateway } from '../../db/gateway/server'

const sharedGateway = inject('sqlEndpoint')
/**
 * Real Postgres is reached through a gateway started in this test file's own process, not the run's shared one
 * (which lives in vitest's main process): the file then exercises the gateway code it imports, which is what
 * mutation testing changes (stryker.gateway.config.mjs). PGlite stays on the shared gateway: one PGlite costs
 * seconds and hundreds of MiB.
 */
const ownGateway = await startSqlGateway({ port: 0 })
afterAll(() => ownGateway.close())

/** The driver's endpoint rule for these tests: the embedded database on the shared gateway, the rest on our own. */
export const routeToTheGateways = (host: string) =>
  host === EMBEDDED_DATABASE_HOST ? sharedGateway : ownGateway.url
neonConfig.fetchEndpoint = routeToTheGateways

/** `describe.each(backends)` runs a suite on embedded PGlite, and on real Postgres when TEST_DATABASE_URL is set. */
export const backends = inject('backendUrls')

/** The run's shared gateway (the embedded database lives there), for tests that speak HTTP to it directly. */
export const sqlEndpoint = sharedGateway

export function connect(url: string) {
  return neon(url)
}

/** A table name no other test (or earlier run on a shared database) uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`
}

/** A request the driver sent while recording, as the endpoint received it (headers and body). */
export interface SentRequest {
  headers: Headers
  body: unknown
}

/**
 * Records what the driver puts on the wire while `run` runs, passing every request on to the real `fetch`
 * unchanged. The driver's `fetchFunction` is global, so it is installed only for that span.
 */
export async function recordRequests<T>(run: () => Promise<T>): Promise<{ result: T; sent: SentRequest[] }> {
  const sent: SentRequest[] = []
  neonConfig.fetchFunction = async (input: string, init: RequestInit) => {
    const request = new Request(input, init)
    sent.push({ headers: request.headers, body: await request.clone().json() })
    return fetch(request)
  }
  try {
    return { result: await run(), sent }
  } finally {
    neonConfig.fetchFunction = undefined
  }
}
