/** The app instance of this process, configured from the environment (fails fast on a bad variable). */
import { createApp } from './app'
import { readConfig } from './env'

export const app = createApp(readConfig())
