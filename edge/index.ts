/** The API function's app, configured from the environment (fails fast on a bad variable), traced when OTEL_* say so. */
import { createApp } from './app'
import { config } from './config'
import { readTelemetryConfig } from './telemetry/env'
import { createTracer } from './telemetry/tracer'

// OpenTelemetry's variables (OTEL_*), read here rather than in ./config: the form handlers import that, untraced.
export const app = createApp(config, { tracer: createTracer(readTelemetryConfig()) })
