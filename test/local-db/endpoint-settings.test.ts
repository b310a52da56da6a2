/** The local endpoint's LOCAL_SQL_* settings, read as `npm run dev` and `npm run db:local` read them. */
import { describe, expect, it } from 'vitest'
import { readLocalEndpointConfig } from '../../db/local/config'

describe('the LOCAL_SQL_* settings', () => {
  it('default to the values the README states, written out here so that changing a constant fails', () => {
    expect(readLocalEndpointConfig({})).toEqual({
      port: 4444,
      host: '127.0.0.1',
      embedded: { dataDir: '.data/pglite' },
      poolSize: 10,
      statementTimeoutMs: 0,
      poolTimeoutMs: 5000,
    })
  })

  it('are each read from their variable, and an empty variable means unset', () => {
    expect(
      readLocalEndpointConfig({
        LOCAL_SQL_PORT: '4455',
        LOCAL_SQL_HOST: '0.0.0.0',
        LOCAL_SQL_DATA_DIR: '/var/lib/edgeline',
        LOCAL_SQL_POOL_SIZE: '3',
        LOCAL_SQL_STATEMENT_TIMEOUT_MS: '1500',
        LOCAL_SQL_POOL_TIMEOUT_MS: '0',
      }),
    ).toEqual({
      port: 4455,
      host: '0.0.0.0',
      embedded: { dataDir: '/var/lib/edgeline' },
      poolSize: 3,
      statementTimeoutMs: 1500,
      poolTimeoutMs: 0,
    })
    expect(readLocalEndpointConfig({ LOCAL_SQL_PORT: '', LOCAL_SQL_POOL_SIZE: '' })).toMatchObject({
      port: 4444,
      poolSize: 10,
    })
  })

  it('let the command-line flags win over the variables, and --memory drop the data directory', () => {
    const env = { LOCAL_SQL_PORT: '4455', LOCAL_SQL_HOST: '0.0.0.0', LOCAL_SQL_DATA_DIR: '/from/env' }
    expect(readLocalEndpointConfig(env, { port: '5544', host: '::1', dataDir: '/from/flag' })).toMatchObject({
      port: 5544,
      host: '::1',
      embedded: { dataDir: '/from/flag' },
    })
    expect(readLocalEndpointConfig(env, { memory: true }).embedded).toEqual({ dataDir: undefined })
  })

  it.each([
    ['LOCAL_SQL_PORT', '65536'],
    ['LOCAL_SQL_PORT', 'http'],
    ['LOCAL_SQL_POOL_SIZE', '0'],
    ['LOCAL_SQL_POOL_SIZE', '1001'],
    ['LOCAL_SQL_STATEMENT_TIMEOUT_MS', '-1'],
    ['LOCAL_SQL_POOL_TIMEOUT_MS', '1.5'],
  ])('refuses %s=%s, naming the setting', (name, value) => {
    expect(() => readLocalEndpointConfig({ [name]: value })).toThrow(
      new RegExp(`^Invalid local endpoint settings:\\n  ${name}:`),
    )
  })
})
