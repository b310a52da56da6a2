/**
 * Built-in accounts with our own tokens, one module per flow: accounts (sign-up, "who am I"), sessions (log-in,
 * refresh, resume, log-out) and passwords (change). Mounted together at /api/auth.
 */
import type { Database } from '../../../db/client'
import { primaryOnly, type ReadRouter } from '../../../db/replicas'
import type { TokenService } from '../../auth/tokens'
import type { AuthConfig } from '../../env'
import { createRouter } from '../../router'
import { accountRoutes } from './accounts'
import { passwordRoutes } from './passwords'
import { sessionRoutes } from './sessions'

export function authRoutes(
  db: Database,
  config: AuthConfig,
  tokens: TokenService,
  reads: ReadRouter = primaryOnly(db),
) {
  const deps = { db, config, tokens, reads }
  return createRouter()
    .route('/', accountRoutes(deps))
    .route('/', sessionRoutes(deps))
    .route('/', passwordRoutes(deps))
}
