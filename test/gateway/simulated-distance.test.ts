/** LOCAL_SQL_LATENCY_MS: every SQL request pays the simulated distance once, as a round trip to a far database would. */
import { neon, neonConfig } from '@neondatabase/serverless'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type SqlGateway, startSqlGateway } from '../../db/gateway/server'
import { backends, routeToTheGateways } from './backends'

const DISTANCE_MS = 150
const realPostgres = backends.filter((backend) => backend.name === 'real Postgres')

// Without TEST_DATABASE_URL there is no real Postgres: the suite is reported skipped rather than the file empty.
const url = realPostgres[0]?.url ?? ''

describe.skipIf(!url)('a gateway simulating distance, on real Postgres', () => {
  let far: SqlGateway
  beforeAll(async () => {
    far = await startSqlGateway({ port: 0, simulatedLatencyMs: DISTANCE_MS })
    neonConfig.fetchEndpoint = far.url
  })
  afterAll(async () => {
    neonConfig.fetchEndpoint = routeToTheGateways
    await far?.close()
  })

  async function elapsedMs(run: () => Promise<unknown>): Promise<number> {
    const startedAt = performance.now()
    await run()
    return performance.now() - startedAt
  }

  it('adds the distance to a single query and to a whole batch alike: one round trip each', async () => {
    const sql = neon(url)
    expect(await elapsedMs(() => sql.query('SELECT 1'))).toBeGreaterThanOrEqual(DISTANCE_MS)
    expect(
      await elapsedMs(() =>
        sql.transaction([sql.query('SELECT 1'), sql.query('SELECT 2'), sql.query('SELECT 3')]),
      ),
    ).toBeGreaterThanOrEqual(DISTANCE_MS)
  })
})
