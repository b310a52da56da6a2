/** `npm run db:gateway`: runs the SQL-over-HTTP gateway on its own and says where it listens. */
import { parseArgs } from 'node:util'
import { DEFAULT_SQL_GATEWAY_PORT, EMBEDDED_DATABASE_URL } from '../database-url'
import { readSqlGatewayConfig } from './config'
import { startSqlGateway } from './server'

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
  console.log(`Usage: npm run db:gateway -- [--port ${DEFAULT_SQL_GATEWAY_PORT}] [--host 127.0.0.1] [--data-dir .data/pglite | --memory]

Serves Neon's SQL-over-HTTP protocol at http://HOST:PORT/sql.
  ${EMBEDDED_DATABASE_URL}   → the embedded PGlite database
  postgresql://user[:pass]@host[:port]/db         → that real Postgres, through a connection pool
Environment: SQL_GATEWAY_PORT, SQL_GATEWAY_HOST, LOCAL_SQL_DATA_DIR, SQL_GATEWAY_POOL_SIZE, SQL_GATEWAY_STATEMENT_TIMEOUT_MS, SQL_GATEWAY_POOL_TIMEOUT_MS,
  LOCAL_SQL_LATENCY_MS (development only: milliseconds added to every SQL request, as if the database were far away).`)
  process.exit(0)
}

const config = readSqlGatewayConfig(process.env, {
  port: values.port,
  host: values.host,
  dataDir: values['data-dir'],
  memory: values.memory,
})
const server = await startSqlGateway(config)
console.log(`SQL-over-HTTP gateway listening on ${server.url}`)
console.log(
  `  embedded database: ${config.embedded.dataDir ? `PGlite in ${config.embedded.dataDir}` : 'PGlite in memory'} (${EMBEDDED_DATABASE_URL})`,
)
console.log('  any other postgresql:// URL is served from that real Postgres')
if (config.simulatedLatencyMs) {
  console.log(
    `  simulating distance: ${config.simulatedLatencyMs} ms added to every SQL request (LOCAL_SQL_LATENCY_MS)`,
  )
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void server.close().then(() => process.exit(0))
  })
}
