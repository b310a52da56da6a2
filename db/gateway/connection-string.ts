/** Reads the `Neon-Connection-String` header the way Neon's proxy reads it. */

import type { ConnectionTarget } from './backends/backend'
import { EndpointError } from './errors'

/** Parses and checks a connection string; every refusal carries the message Neon's proxy gives. */
export function parseConnectionString(header: string | undefined): ConnectionTarget {
  if (!header) throw new EndpointError(400, 'invalid header: neon-connection-string')
  let url: URL
  try {
    url = new URL(header)
  } catch {
    throw new EndpointError(400, 'invalid header: neon-connection-string')
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new EndpointError(400, 'incorrect scheme')
  }
  const user = decodePart(url.username)
  if (!user) throw new EndpointError(400, 'missing username')
  if (!url.hostname) throw new EndpointError(400, 'missing hostname')
  const database = decodePart(url.pathname.split('/')[1] ?? '')
  if (!database) throw new EndpointError(400, 'missing database name')

  const startupParameters = Object.fromEntries(url.searchParams)
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1')
  const port = url.port ? Number(url.port) : 5432
  const password = decodePart(url.password)
  return {
    // Every parameter (options, sslmode, …) shapes the connection, so requests share one only when all agree.
    key: JSON.stringify([host, port, user, password, database, Object.entries(startupParameters).sort()]),
    host,
    port,
    user,
    password,
    database,
    startupParameters,
  }
}

/** A malformed %-escape is the client's mistake: the same 400 as any other bad connection string. */
function decodePart(part: string): string {
  try {
    return decodeURIComponent(part)
  } catch {
    throw new EndpointError(400, 'invalid header: neon-connection-string')
  }
}
