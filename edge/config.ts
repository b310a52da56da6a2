/** This process's configuration, read and validated once (edge/env.ts) for everything that needs it here. */
import { readConfig } from './env'

export const config = readConfig()
