/** What the pages' form handlers share: an app of their own to call in-process, and the seal of their outcomes. */
import { createApp } from './app'
import { config } from './config'
import type { FormSite } from './pages/form-kit'
import { outcomeSeal } from './pages/seal'

/**
 * Untraced: with a tracer and a span per post they come to 242.3–242.8 KiB of their 240 (decision 0035, last
 * section), so they hold an app without one. An app of only the routes the forms call costs more, not less: it
 * splits the chunks they share with the API function, and the API's documentation prose comes back in both. A form
 * post's API call is then in no trace on the edge; the API function's requests are.
 */
export const site: FormSite = { api: createApp(config), seal: outcomeSeal }
