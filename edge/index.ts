/** The API function's app, configured from the environment (fails fast on a bad variable), traced when OTEL_* say so. */
import { createApp } from './app'
import { config } from './config'
import { readTelemetryConfig } from './telemetry/env'
import { createTracer } from './telemetry/tracer'

// OpenTelemetry's variables (OTEL_*), read here rather than in ./config, which more than the traced functions import.
export const app = createApp(config, { tracer: createTracer(readTelemetryConfig()) })
