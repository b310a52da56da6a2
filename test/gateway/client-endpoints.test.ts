/** db/client.ts sends a Neon host's queries to Neon exactly as Neon's driver does, and every other host to the gateway. */
import { neonConfig } from '@neondatabase/serverless'
import { sql } from 'drizzle-orm'
import { afterAll, describe, expect, it } from 'vitest'
import { createDatabase } from '../../db/client'
import { DEFAULT_SQL_GATEWAY_ENDPOINT } from '../../db/database-url'

const GATEWAY = 'http://127.0.0.1:4999/sql'
// The driver's settings are process-wide: put back what this file found, for whatever runs after it.
const found = { endpoint: neonConfig.fetchEndpoint, fetchFunction: neonConfig.fetchFunction }
afterAll(() => {
  neonConfig.fetchEndpoint = found.endpoint
  neonConfig.fetchFunction = found.fetchFunction
})

/** The URL the driver posts a query to for `databaseUrl`; the query goes no further than this test. */
async function endpointOf(databaseUrl: string, sqlGatewayEndpoint: string | null = GATEWAY): Promise<string> {
  const requested = new Set<string>()
  const db = createDatabase({
    databaseUrl,
    sqlGatewayEndpoint: sqlGatewayEndpoint ?? undefined,
    fetchFunction: async (url) => {
      requested.add(String(url))
      throw new Error('recorded, not sent')
    },
  })
  await expect(db.execute(sql`select 1`)).rejects.toThrow()
  expect(requested.size).toBe(1)
  return [...requested][0] as string
}

describe('the database client', () => {
  it("sends a Neon host to Neon's own endpoint for it, as Neon's driver does without us", async () => {
    expect(
      await endpointOf('postgresql://u:p@ep-cool-name-123456.us-east-2.aws.neon.tech/db?sslmode=require'),
    ).toBe('https://api.us-east-2.aws.neon.tech/sql')
  })

  it.each([
    ['the embedded database', 'postgresql://edgeline@pglite.localhost/edgeline'],
    ['a Postgres on this machine', 'postgresql://postgres@127.0.0.1:5432/app'],
    [
      'a remote Postgres that is not Neon (RDS)',
      'postgresql://u:p@app.abc123.eu-west-1.rds.amazonaws.com/app',
    ],
    ['a host that only starts like Neon', 'postgresql://u:p@ep-x.neon.tech.attacker.example/db'],
  ])('sends %s to the SQL-over-HTTP gateway', async (_name, databaseUrl) => {
    expect(await endpointOf(databaseUrl)).toBe(GATEWAY)
  })

  it('sends a host that is not Neon to the default local gateway when no endpoint is given', async () => {
    expect(await endpointOf('postgresql://postgres@127.0.0.1:5432/app', null)).toBe(
      DEFAULT_SQL_GATEWAY_ENDPOINT,
    )
  })
})
