/** The app instance of this process, configured from the environment (fails fast on a bad variable). */
import { createApp } from './app'
import { config } from './config'
import { readTelemetryConfig } from './env'
import type { FormSite } from './pages/form-kit'
import { outcomeSeal } from './pages/seal'
import { createTracer } from './telemetry/tracer'

// OpenTelemetry's variables (OTEL_*), read here rather than in ./config: the pages import that, and trace nothing.
export const app = createApp(config, { tracer: createTracer(readTelemetryConfig()) })

/** What the pages' form handlers share: the app to call in-process, and the seal of the outcomes they send back. */
export const site: FormSite = { api: app, seal: outcomeSeal }
