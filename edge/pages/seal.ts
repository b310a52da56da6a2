/**
 * The seal of form outcomes for this process, keyed from its configuration. Its own module, without the app, so a
 * page that only shows outcomes (log-in, sign-up) does not bundle the whole API (about 200 KiB gzip).
 */
import { config } from '../config'
import { createOutcomeSeal } from './outcome-seal'

export const outcomeSeal = createOutcomeSeal(config.auth.secrets[0])
