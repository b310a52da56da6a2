/** `npm run db:local`: runs the local Neon endpoint on its own and says where it listens. */
import { parseArgs } from 'node:util'
import { DEFAULT_LOCAL_SQL_PORT, EMBEDDED_DATABASE_URL } from '../local-url'
import { readLocalEndpointConfig } from './config'
import { startLocalNeonServer } from './server'

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    'data-dir': { type: 'string' },
    memory: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
})

if (values.help) {
  console.log(`Usage: npm run db:local -- [--port ${DEFAULT_LOCAL_SQL_PORT}] [--host 127.0.0.1] [--data-dir .data/pglite | --memory]

Serves Neon's SQL-over-HTTP protocol at http://HOST:PORT/sql.
  ${EMBEDDED_DATABASE_URL}   → the embedded PGlite database
  postgresql://user[:pass]@host[:port]/db         → that real Postgres, through a connection pool
Environment: LOCAL_SQL_PORT, LOCAL_SQL_HOST, LOCAL_SQL_DATA_DIR, LOCAL_SQL_POOL_SIZE, LOCAL_SQL_STATEMENT_TIMEOUT_MS, LOCAL_SQL_POOL_TIMEOUT_MS.`)
  process.exit(0)
}

const config = readLocalEndpointConfig(process.env, {
  port: values.port,
  host: values.host,
  dataDir: values['data-dir'],
  memory: values.memory,
})
const server = await startLocalNeonServer(config)
console.log(`Local Neon endpoint listening on ${server.url}`)
console.log(
  `  embedded database: ${config.embedded.dataDir ? `PGlite in ${config.embedded.dataDir}` : 'PGlite in memory'} (${EMBEDDED_DATABASE_URL})`,
)
console.log('  any other postgresql:// URL is served from that real Postgres')

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void server.close().then(() => process.exit(0))
  })
}
