/** The gateway's SQL_GATEWAY_* settings, read as `npm run dev` and `npm run db:gateway` read them. */
import { describe, expect, it } from 'vitest'
import { readSqlGatewayConfig } from '../../db/gateway/config'

describe('the SQL_GATEWAY_* settings', () => {
  it('default to the values the README states, written out here so that changing a constant fails', () => {
    expect(readSqlGatewayConfig({})).toEqual({
      port: 4444,
      host: '127.0.0.1',
      embedded: { dataDir: '.data/pglite' },
      poolSize: 10,
      statementTimeoutMs: 0,
      poolTimeoutMs: 5000,
      simulatedLatencyMs: 0,
    })
  })

  it('are each read from their variable, and an empty variable means unset', () => {
    expect(
      readSqlGatewayConfig({
        SQL_GATEWAY_PORT: '4455',
        SQL_GATEWAY_HOST: '0.0.0.0',
        LOCAL_SQL_DATA_DIR: '/var/lib/edgeline',
        SQL_GATEWAY_POOL_SIZE: '3',
        SQL_GATEWAY_STATEMENT_TIMEOUT_MS: '1500',
        SQL_GATEWAY_POOL_TIMEOUT_MS: '0',
        LOCAL_SQL_LATENCY_MS: '80',
      }),
    ).toEqual({
      port: 4455,
      host: '0.0.0.0',
      embedded: { dataDir: '/var/lib/edgeline' },
      poolSize: 3,
      statementTimeoutMs: 1500,
      poolTimeoutMs: 0,
      simulatedLatencyMs: 80,
    })
    expect(readSqlGatewayConfig({ SQL_GATEWAY_PORT: '', SQL_GATEWAY_POOL_SIZE: '' })).toMatchObject({
      port: 4444,
      poolSize: 10,
    })
  })

  it('let the command-line flags win over the variables, and --memory drop the data directory', () => {
    const env = { SQL_GATEWAY_PORT: '4455', SQL_GATEWAY_HOST: '0.0.0.0', LOCAL_SQL_DATA_DIR: '/from/env' }
    expect(readSqlGatewayConfig(env, { port: '5544', host: '::1', dataDir: '/from/flag' })).toMatchObject({
      port: 5544,
      host: '::1',
      embedded: { dataDir: '/from/flag' },
    })
    expect(readSqlGatewayConfig(env, { memory: true }).embedded).toEqual({ dataDir: undefined })
  })

  it.each([
    ['SQL_GATEWAY_PORT', '65536'],
    ['SQL_GATEWAY_PORT', 'http'],
    ['SQL_GATEWAY_POOL_SIZE', '0'],
    ['SQL_GATEWAY_POOL_SIZE', '1001'],
    ['SQL_GATEWAY_STATEMENT_TIMEOUT_MS', '-1'],
    ['SQL_GATEWAY_POOL_TIMEOUT_MS', '1.5'],
    ['LOCAL_SQL_LATENCY_MS', '-5'],
    ['LOCAL_SQL_LATENCY_MS', '10001'],
  ])('refuses %s=%s, naming the setting', (name, value) => {
    expect(() => readSqlGatewayConfig({ [name]: value })).toThrow(
      new RegExp(`^Invalid gateway settings:\\n  ${name}:`),
    )
  })

  it.each([
    ['LOCAL_SQL_PORT', 'SQL_GATEWAY_PORT'],
    ['LOCAL_SQL_HOST', 'SQL_GATEWAY_HOST'],
    ['LOCAL_SQL_POOL_SIZE', 'SQL_GATEWAY_POOL_SIZE'],
    ['LOCAL_SQL_STATEMENT_TIMEOUT_MS', 'SQL_GATEWAY_STATEMENT_TIMEOUT_MS'],
    ['LOCAL_SQL_POOL_TIMEOUT_MS', 'SQL_GATEWAY_POOL_TIMEOUT_MS'],
  ])('refuses the old name %s, naming %s, so a stale setting is never silently lost', (oldName, newName) => {
    expect(() => readSqlGatewayConfig({ [oldName]: '4455' })).toThrow(
      new RegExp(`^Invalid gateway settings:\\n  ${oldName}: was renamed ${newName}`),
    )
  })

  it('refuses simulated distance in production, and allows it everywhere else', () => {
    expect(() => readSqlGatewayConfig({ NODE_ENV: 'production', LOCAL_SQL_LATENCY_MS: '100' })).toThrow(
      /^Invalid gateway settings:\n {2}LOCAL_SQL_LATENCY_MS: simulates distance/,
    )
    expect(
      readSqlGatewayConfig({ NODE_ENV: 'production', LOCAL_SQL_LATENCY_MS: '0' }).simulatedLatencyMs,
    ).toBe(0)
    expect(
      readSqlGatewayConfig({ NODE_ENV: 'development', LOCAL_SQL_LATENCY_MS: '100' }).simulatedLatencyMs,
    ).toBe(100)
  })
})
