/** The app instance of this process, configured from the environment (fails fast on a bad variable). */
import { createApp } from './app'
import { config } from './config'
import type { FormSite } from './pages/form-kit'
import { outcomeSeal } from './pages/seal'

export const app = createApp(config)

/** What the pages' form handlers share: the app to call in-process, and the seal of the outcomes they send back. */
export const site: FormSite = { api: app, seal: outcomeSeal }
