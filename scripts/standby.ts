/**
 * `npm run db:standby`: a streaming standby of a local Postgres for trying replicas by hand (and benchmarks):
 * made with pg_basebackup, its URL printed, removed on Ctrl-C. `-- --check` makes one and removes it at once
 * (.ci/run does, so a machine that cannot have one fails there, loudly, rather than in the tests).
 */
import { parseArgs } from 'node:util'
import { createStandby, StandbyUnavailable } from '../test/support/standby'

const { values } = parseArgs({
  options: { primary: { type: 'string' }, check: { type: 'boolean', default: false } },
})
const primary = values.primary ?? process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL
if (!primary) {
  console.error('Name the primary: --primary postgresql://postgres@127.0.0.1:5432/db (or TEST_DATABASE_URL).')
  process.exit(2)
}

const startedAt = performance.now()
try {
  const standby = await createStandby(primary)
  const seconds = ((performance.now() - startedAt) / 1000).toFixed(1)
  if (values.check) {
    await standby.remove()
    console.log(
      `✓ a streaming standby of ${new URL(primary).host} can be made (${seconds} s) and was removed`,
    )
    process.exit(0)
  }
  console.log(
    `Standby streaming from ${new URL(primary).host} (made in ${seconds} s), data in ${standby.dataDir}`,
  )
  console.log(`  DATABASE_REPLICA_URLS=${standby.url}`)
  console.log('  Ctrl-C stops and removes it (and its pg_hba.conf line on the primary).')
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void standby.remove().then(() => process.exit(0))
    })
  }
} catch (error) {
  console.error(
    error instanceof StandbyUnavailable
      ? `✗ no standby: ${error.message}`
      : `✗ the standby could not be made: ${error instanceof Error ? error.message : String(error)}`,
  )
  process.exit(1)
}
