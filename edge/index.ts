/** The app instance of this process, configured from the environment (fails fast on a bad variable). */
import { createApp } from './app'
import { readConfig } from './env'
import type { FormSite } from './pages/form-kit'
import { createOutcomeSeal } from './pages/outcome-seal'

const config = readConfig()

export const app = createApp(config)

/** What the pages' form handlers and the pages themselves share: the app, and the seal of form outcomes. */
export const site: FormSite = { api: app, seal: createOutcomeSeal(config.auth.secrets[0]) }
