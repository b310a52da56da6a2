/**
 * The API's type, for a typed client: `hc<AppType>('https://your-app.example')` from `hono/client` knows every route,
 * its parameters and its JSON answers. Types only: importing this file adds nothing to a bundle.
 */
import type { createApp } from './app'

export type AppType = ReturnType<typeof createApp>
