/**
 * The Cloudflare Workers entry: the same Hono app as the Vercel function (edge/), configured from the Worker's
 * variables and secrets, which carry the same names as the environment variables elsewhere (.env.example).
 * `npm run workers:build` bundles it offline; `npx wrangler deploy --config workers/wrangler.jsonc` deploys it.
 */
// The one Node module here, under the `nodejs_als` flag alone (wrangler.jsonc): no process, Buffer or require.
import { AsyncLocalStorage } from 'node:async_hooks'
import type { ExecutionContext } from 'hono'
import { createApp } from '../edge/app'
import { type EnvSource, parseConfig } from '../edge/env'
import { parseTelemetryConfig, type TelemetryEnvSource } from '../edge/telemetry/env'
import { type ActiveSpan, createTracer } from '../edge/telemetry/tracer'

let app: ReturnType<typeof createApp> | undefined

export default {
  fetch(
    request: Request,
    env: EnvSource & TelemetryEnvSource,
    context: ExecutionContext,
  ): Response | Promise<Response> {
    // Once per isolate, on its first request (a Worker's bindings arrive with the request): a bad variable fails
    // loudly here, as it does at start on every other platform. Traces (OTEL_*) go out in the request's waitUntil,
    // database round trips among them: AsyncLocalStorage tells each one its request's span, as on Node.
    app ??= createApp(parseConfig(env), {
      tracer: createTracer(parseTelemetryConfig(env), { storage: new AsyncLocalStorage<ActiveSpan>() }),
    })
    return app.fetch(request, undefined, context)
  },
}
