/** Creates the routers route modules build on, so every one shares the app's typed context and validation hook. */
import { OpenAPIHono } from '@hono/zod-openapi'
import type { AppEnv } from './context'
import { validationHook } from './validation'

export function createRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
}
