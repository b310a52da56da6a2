/** What the pages' form handlers share: an app of their own to call in-process, and the seal of their outcomes. */
import { createApp } from './app'
import { config } from './config'
import type { FormSite } from './pages/form-kit'
import { outcomeSeal } from './pages/seal'

/**
 * Untraced: with the tracer (4.6 KiB gzip) the form handlers came to 240.5 KiB of their 240 (decision 0035), so they
 * hold an app without one. A form post's API call is then in no trace on the edge; the API function's requests are.
 */
export const site: FormSite = { api: createApp(config), seal: outcomeSeal }
