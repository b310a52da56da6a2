/** Accounts for the e2e tests, made directly in the run's database (as `npm run dev` seeds its admin). */
import { inject } from 'vitest'
import { createDatabase } from '../../db/client'
import { upsertAccount } from '../../db/queries/accounts'
import { hashPassword } from '../../edge/auth/password'
import type { Role } from '../../edge/auth/tokens'

export interface Credentials {
  name: string
  email: string
  password: string
}

/** A new account with a password, unique to the calling test. */
export async function createE2eAccount(role: Role, label: string = role): Promise<Credentials> {
  const tag = crypto.randomUUID().slice(0, 8)
  const credentials = {
    name: `E2E ${label} ${tag}`,
    email: `e2e-${label}-${tag}@example.test`,
    password: `pw-${crypto.randomUUID()}`,
  }
  await upsertAccount(
    createDatabase({ databaseUrl: inject('databaseUrl'), sqlGatewayEndpoint: inject('sqlEndpoint') }),
    {
      name: credentials.name,
      email: credentials.email,
      passwordHash: await hashPassword(credentials.password),
      role,
    },
  )
  return credentials
}
