/** A stand-in SQL-over-HTTP endpoint that answers every query with one error, shaped exactly as Neon's proxy shapes it. */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { errorBody as neonErrorBody } from '../../db/gateway/errors'

// Neon's error body (message, then every field, null where Postgres gave none): the gateway renders it already.
export { neonErrorBody }

/**
 * What Postgres 15 raises while opening a session, as Neon forwards it (HTTP 400). The first two were captured
 * from the real server at 127.0.0.1:5432 (`pg` connecting to a missing database, and as a missing role); the
 * password failure and the CONNECT refusal, which its trust authentication cannot produce, are in the wording of
 * Postgres's auth.c and postinit.c (line numbers left out: not captured).
 */
export const CONNECT_ERRORS = {
  unknownDatabase: neonErrorBody('database "appp" does not exist', {
    code: '3D000',
    severity: 'FATAL',
    file: 'postinit.c',
    line: '948',
    routine: 'InitPostgres',
  }),
  unknownRole: neonErrorBody('role "x" does not exist', {
    code: '28000',
    severity: 'FATAL',
    file: 'miscinit.c',
    line: '768',
    routine: 'InitializeSessionUserId',
  }),
  wrongPassword: neonErrorBody('password authentication failed for user "app"', {
    code: '28P01',
    severity: 'FATAL',
    file: 'auth.c',
    routine: 'auth_failed',
  }),
  noConnectPrivilege: neonErrorBody('permission denied for database "appp"', {
    code: '42501',
    severity: 'FATAL',
    detail: 'User does not have CONNECT privilege.',
    file: 'postinit.c',
    routine: 'CheckMyDatabase',
  }),
} as const

export interface NeonErrorEndpoint {
  /** The endpoint URL, for `sqlGatewayEndpoint` or SQL_GATEWAY_ENDPOINT. */
  url: string
  /** How many queries it has answered. */
  requests(): number
  close(): Promise<void>
}

/** Starts an endpoint on a free loopback port that answers every POST with `status` and `body` (JSON). */
export async function startNeonErrorEndpoint(status: number, body: unknown): Promise<NeonErrorEndpoint> {
  let requests = 0
  const server = createServer((request, response) => {
    request.resume()
    request.on('end', () => {
      requests += 1
      response.writeHead(status, {
        'Content-Type': 'application/json',
        'Access-Control-Allow-Origin': '*',
      })
      response.end(JSON.stringify(body))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/sql`,
    requests: () => requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close((error) => (error ? reject(error) : resolve()))
      }),
  }
}
