/**
 * The gateway reads `sslmode` as libpq does (db/gateway/backends/postgres.ts, tlsFor). The test Postgres speaks no
 * TLS, which is what makes the promise visible: a mode that asks for TLS fails to connect rather than silently falling
 * back to plain TCP, and the modes that do not ask for it connect. An unknown mode is the caller's mistake (400).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type SqlGateway, startSqlGateway } from '../../db/gateway/server'
import { backends } from './backends'

const realPostgres = backends.filter((backend) => backend.name === 'real Postgres')

describe.skipIf(realPostgres.length === 0)('TLS modes against a Postgres without TLS', () => {
  let gateway: SqlGateway
  beforeAll(async () => {
    gateway = await startSqlGateway({ port: 0 })
  })
  afterAll(() => gateway?.close())

  /** The gateway's answer to `SELECT 1` on the test database with these connection string parameters. */
  async function selectOneWith(parameters: Record<string, string>) {
    const url = new URL(realPostgres[0]?.url ?? '')
    for (const [name, value] of Object.entries(parameters)) url.searchParams.set(name, value)
    const response = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'Neon-Connection-String': url.toString(), 'Content-Type': 'application/json' },
      body: JSON.stringify({ query: 'SELECT 1 AS one', params: [] }),
    })
    return { status: response.status, body: (await response.json()) as { message?: string } }
  }

  it.each([
    ['no sslmode', {}],
    ['sslmode=disable', { sslmode: 'disable' }],
    ['sslmode=allow', { sslmode: 'allow' }],
    ['sslmode=prefer', { sslmode: 'prefer' }],
    ['ssl=false', { ssl: 'false' }],
  ])('connects over plain TCP with %s', async (_name, parameters) => {
    expect((await selectOneWith(parameters)).status).toBe(200)
  })

  it.each([
    ['sslmode=require', { sslmode: 'require' }],
    ['sslmode=verify-ca', { sslmode: 'verify-ca' }],
    ['sslmode=verify-full', { sslmode: 'verify-full' }],
    ['ssl=true', { ssl: 'true' }],
  ])('insists on TLS with %s: no connection, never a plain one', async (_name, parameters) => {
    const answer = await selectOneWith(parameters)
    expect(answer.status).toBe(500)
    expect(answer.body.message).toMatch(/^Couldn't connect to compute node: .*SSL/)
  })

  it('refuses an sslmode libpq does not know, as the caller mistake it is', async () => {
    const answer = await selectOneWith({ sslmode: 'always' })
    expect(answer.status).toBe(400)
    expect(answer.body.message).toBe('invalid sslmode: always')
  })
})
