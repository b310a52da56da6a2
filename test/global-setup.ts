/** Starts one SQL-over-HTTP gateway (in-memory PGlite, plus real Postgres when TEST_DATABASE_URL is set) per test run. */
import type { TestProject } from 'vitest/node'
import { EMBEDDED_DATABASE_URL } from '../db/database-url'
import { type SqlGateway, startSqlGateway } from '../db/gateway/server'
import { migrateDatabase } from '../db/migrate'
import { startTestIdentityProvider, type TestIdentityProvider } from './support/identity-provider'

declare module 'vitest' {
  export interface ProvidedContext {
    /** The endpoint URL for `neonConfig.fetchEndpoint`. */
    sqlEndpoint: string
    /** The database the app tests use: TEST_DATABASE_URL when set, else the embedded one. */
    databaseUrl: string
    /** Every backend the endpoint conformance suite runs against. */
    backendUrls: { name: string; url: string }[]
    /** A stand-in external identity provider (JWKS, token signing, key rotation); see test/support. */
    identityProviderUrl: string
  }
}

// Vitest runs this once per project; PGlite costs seconds and ~700 MiB to start, so every project shares one.
let shared:
  | { server: Promise<SqlGateway>; identityProvider: Promise<TestIdentityProvider>; users: number }
  | undefined

export default async function setup(project: TestProject) {
  const realPostgres = process.env.TEST_DATABASE_URL
  const databaseUrl = realPostgres ?? EMBEDDED_DATABASE_URL
  shared ??= {
    server: startSqlGateway({ port: 0 }).then(async (server) => {
      // The app's tests need the app's tables: the committed migrations, applied as `npm run db:migrate` does.
      await migrateDatabase(databaseUrl, server.url)
      return server
    }),
    identityProvider: startTestIdentityProvider(),
    users: 0,
  }
  shared.users += 1
  const server = await shared.server
  project.provide('identityProviderUrl', (await shared.identityProvider).url)
  project.provide('sqlEndpoint', server.url)
  project.provide('databaseUrl', databaseUrl)
  project.provide('backendUrls', [
    { name: 'embedded PGlite', url: EMBEDDED_DATABASE_URL },
    ...(realPostgres ? [{ name: 'real Postgres', url: realPostgres }] : []),
  ])
  return async () => {
    if (!shared) return
    shared.users -= 1
    if (shared.users > 0) return
    const { server: closing, identityProvider } = shared
    shared = undefined
    await Promise.all([(await closing).close(), (await identityProvider).close()])
  }
}
