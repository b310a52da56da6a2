/**
 * How the pages' form handlers are built: each holds the whole API, to call in-process, traced when OTEL_* say so,
 * and the seal of its outcomes. The whole API, not only the routes its forms call: that would split the chunks the
 * form handlers share with the API function, and cost both more than it saves (decision 0035, last section).
 */
import { createApp } from './app'
import { config } from './config'
import type { FormSite } from './pages/form-kit'
import { outcomeSeal } from './pages/seal'
import { readTelemetryConfig } from './telemetry/env'
import { traceFormPost } from './telemetry/form-span'
import { createTracer, type WaitUntil } from './telemetry/tracer'

// OpenTelemetry's variables (OTEL_*): undefined without an endpoint, and then nothing is traced or changed.
const tracer = createTracer(readTelemetryConfig())

/**
 * The `POST` of the form handler at `route` (`/login/submit`): `submit` answers; when tracing is on, inside a span
 * of the post that the in-process API call continues, exported through `waitUntil`.
 */
export function formHandler(
  route: string,
  submit: (site: FormSite, request: Request) => Promise<Response>,
  waitUntil: WaitUntil,
): (request: Request) => Promise<Response> {
  const site: FormSite = { api: createApp(config, { tracer }), seal: outcomeSeal }
  if (!tracer) return (request) => submit(site, request)
  return (request) => traceFormPost(tracer, route, request, (traced) => submit(site, traced), waitUntil)
}
