/**
 * Built-in accounts with our own tokens, one module per flow: accounts (sign-up, "who am I"), sessions (log-in,
 * refresh, resume, log-out), passwords (change), recovery (reset links, setting a password from a link) and email
 * change (verified from the new address). Mounted together at /api/auth.
 */
import type { Database } from '../../../db/client'
import { primaryOnly, type ReadRouter } from '../../../db/replicas'
import type { TokenService } from '../../auth/tokens'
import type { AuthConfig, MailConfig } from '../../env'
import { createRouter } from '../../router'
import { accountRoutes } from './accounts'
import { emailChangeRoutes } from './email-change'
import { passwordRoutes } from './passwords'
import { recoveryRoutes } from './recovery'
import { sessionRoutes } from './sessions'

export function authRoutes(
  db: Database,
  config: AuthConfig,
  tokens: TokenService,
  mail: MailConfig,
  reads: ReadRouter = primaryOnly(db),
) {
  const deps = { db, config, tokens, reads }
  return createRouter()
    .route('/', accountRoutes(deps))
    .route('/', sessionRoutes(deps))
    .route('/', passwordRoutes(deps))
    .route('/', recoveryRoutes(deps, mail))
    .route('/', emailChangeRoutes(deps, mail))
}
