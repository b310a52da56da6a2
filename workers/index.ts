/**
 * The Cloudflare Workers entry: the same Hono app as the Vercel function (edge/), configured from the Worker's
 * variables and secrets, which carry the same names as the environment variables elsewhere (.env.example).
 * `npm run workers:build` bundles it offline; `npx wrangler deploy --config workers/wrangler.jsonc` deploys it.
 */
import { createApp } from '../edge/app'
import { type EnvSource, parseConfig } from '../edge/env'

let app: ReturnType<typeof createApp> | undefined

export default {
  fetch(
    request: Request,
    env: EnvSource,
    // The Worker's own: its waitUntil keeps the isolate alive while queued email is sent after the answer.
    context: { waitUntil(promise: Promise<unknown>): void; passThroughOnException(): void },
  ): Response | Promise<Response> {
    // Once per isolate, on its first request (a Worker's bindings arrive with the request): a bad variable fails
    // loudly here, as it does at start on every other platform.
    app ??= createApp(parseConfig(env))
    // Bound calls, not a spread: the Worker's context keeps its methods on its prototype.
    return app.fetch(request, undefined, {
      waitUntil: (promise: Promise<unknown>) => context.waitUntil(promise),
      passThroughOnException: () => context.passThroughOnException(),
      props: {},
    })
  },
}
