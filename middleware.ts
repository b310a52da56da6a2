/** The edge perimeter: verifies the access token of every request before any function or database is touched. */

// The module `next/server` re-exports NextResponse from: `next/server` is CommonJS that loads all it exports, so it
// brought ua-parser, `after`, ImageResponse and more into the middleware, 8 KiB gzip of 63 (decision 0039).
import { NextResponse } from 'next/dist/server/web/spec-extension/response'
import type { NextRequest } from 'next/server'
import { createEdgeGate } from './edge/auth/gate'
import { createTokenVerifier } from './edge/auth/token-verifier'
import { readConfig } from './edge/env'
import { readTelemetryConfig } from './edge/telemetry/env'
import { traceGate } from './edge/telemetry/middleware-span'
import { createTracer } from './edge/telemetry/tracer'

// Once per isolate: a bad or missing JWT_SECRET/JWKS_URL fails here, loudly, rather than on some request later.
const appConfig = readConfig()
const checkRequest = createEdgeGate(createTokenVerifier(appConfig.auth), {
  corsEnabled: appConfig.corsOrigins.length > 0,
  allowedHosts: appConfig.allowedHosts,
})
// OpenTelemetry's variables (OTEL_*): undefined without an endpoint, and then nothing below is traced or changed.
const tracer = createTracer(readTelemetryConfig())

/** What Next passes as the second argument (a NextFetchEvent): work to finish after the answer is sent. */
interface FetchEvent {
  waitUntil(work: Promise<unknown>): void
}

export async function middleware(request: NextRequest, event?: FetchEvent): Promise<Response> {
  const decision = tracer
    ? await traceGate(tracer, request, checkRequest, event && ((work) => event.waitUntil(work)))
    : await checkRequest(request)
  // 303: whatever the method, the browser follows with a GET (a 307 would re-send a form post to the auth route).
  if (decision.action === 'redirect')
    return NextResponse.redirect(new URL(decision.location, request.url), 303)
  if (decision.action === 'respond') return decision.response
  // Replaces the request's headers for everything behind us: client-sent identity headers are gone.
  return NextResponse.next({ request: { headers: decision.requestHeaders } })
}

export const config = {
  // Everything but Next's hashed build output: identity headers are stripped even on public paths.
  matcher: ['/((?!_next/static/|_next/image).*)'],
}
