/**
 * The gateway reads `sslmode` as libpq does (db/gateway/backends/postgres.ts, tlsFor). The test Postgres speaks no
 * TLS, which is what makes the first promise visible: a mode that asks for TLS fails to connect rather than silently
 * falling back to plain TCP, and the modes that do not ask for it connect. An unknown mode is the caller's mistake
 * (400). Then, against a throwaway Postgres that speaks only TLS (test/support/tls-postgres.ts), each mode checks
 * what it says it checks: `require` nothing, `verify-ca` the CA, `verify-full` the CA and the host name.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type SqlGateway, startSqlGateway } from '../../db/gateway/server'
import { startTlsPostgres, type TlsPostgres, tlsPostgresUnavailable } from '../support/tls-postgres'
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

const noTlsServer = tlsPostgresUnavailable()

/**
 * Only where the test Postgres is real: the server started here is a second one on the same machine, made with the
 * same binaries. Without them (or without openssl) the suite is skipped, and says why in its name.
 */
describe.skipIf(realPostgres.length === 0 || noTlsServer !== undefined)(
  `TLS modes against a Postgres that speaks only TLS${noTlsServer ? ` (skipped: ${noTlsServer})` : ''}`,
  () => {
    let server: TlsPostgres
    let gateway: SqlGateway
    beforeAll(async () => {
      server = await startTlsPostgres()
      gateway = await startSqlGateway({ port: 0 })
    })
    afterAll(async () => {
      await gateway?.close()
      await server?.remove()
    })

    /** The gateway's answer to "is this session encrypted?", asked of the TLS server at `host`. */
    async function askWhetherEncrypted(host: string, parameters: Record<string, string>) {
      const response = await fetch(gateway.url, {
        method: 'POST',
        headers: {
          'Neon-Connection-String': server.urlFor(host, parameters),
          'Content-Type': 'application/json',
        },
        body: JSON.stringify({
          query: 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
          params: [],
        }),
      })
      return {
        status: response.status,
        body: (await response.json()) as { message?: string; rows?: { ssl: boolean }[] },
      }
    }

    const ca = () => server.caFile
    const otherCa = () => server.otherCaFile
    const connected = { status: 200, body: expect.objectContaining({ rows: [{ ssl: true }] }) }
    const unknownCa =
      /^Couldn't connect to compute node: (unable to verify the first certificate|self-signed)/
    const wrongName = /^Couldn't connect to compute node: Hostname\/IP does not match certificate's altnames/

    it('encrypts with sslmode=require and checks nothing: no CA file, a CA nobody knows, an address not on the certificate', async () => {
      expect(await askWhetherEncrypted('127.0.0.1', { sslmode: 'require' })).toEqual(connected)
    })

    it('encrypts with ssl=true as with sslmode=require', async () => {
      expect(await askWhetherEncrypted('127.0.0.1', { ssl: 'true' })).toEqual(connected)
    })

    it('connects with sslmode=verify-ca and the CA that signed the certificate, whatever name the host was reached by', async () => {
      expect(await askWhetherEncrypted('127.0.0.1', { sslmode: 'verify-ca', sslrootcert: ca() })).toEqual(
        connected,
      )
    })

    it('refuses with sslmode=verify-ca a certificate that CA did not sign', async () => {
      const answer = await askWhetherEncrypted('localhost', {
        sslmode: 'verify-ca',
        sslrootcert: otherCa(),
      })
      expect(answer.status).toBe(500)
      expect(answer.body.message).toMatch(unknownCa)
    })

    it('refuses with sslmode=verify-ca and no CA file a certificate no public CA signed', async () => {
      const answer = await askWhetherEncrypted('localhost', { sslmode: 'verify-ca' })
      expect(answer.status).toBe(500)
      expect(answer.body.message).toMatch(unknownCa)
    })

    it('connects with sslmode=verify-full to the name on the certificate, signed by the CA given', async () => {
      expect(await askWhetherEncrypted('localhost', { sslmode: 'verify-full', sslrootcert: ca() })).toEqual(
        connected,
      )
    })

    it('refuses with sslmode=verify-full a host reached by a name not on the certificate, though its CA is right', async () => {
      const answer = await askWhetherEncrypted('127.0.0.1', {
        sslmode: 'verify-full',
        sslrootcert: ca(),
      })
      expect(answer.status).toBe(500)
      expect(answer.body.message).toMatch(wrongName)
    })

    it('refuses with sslmode=verify-full the right name signed by a CA other than the one given', async () => {
      const answer = await askWhetherEncrypted('localhost', {
        sslmode: 'verify-full',
        sslrootcert: otherCa(),
      })
      expect(answer.status).toBe(500)
      expect(answer.body.message).toMatch(unknownCa)
    })
  },
)
