/**
 * The standalone gateway (`npm run db:gateway`, what `npm run dev` and `next start` setups use) in front of a
 * database that keeps terminating its connections: it never dies of it, and serves again as soon as the database
 * does. Real Postgres only (PGlite has no connections to lose).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { neon, neonConfig } from '@neondatabase/serverless'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { createScratchDatabase, runTerminationDrill } from '../support/termination-drill'

const adminUrl = inject('backendUrls').find((backend) => backend.name === 'real Postgres')?.url
const started: ChildProcess[] = []
afterAll(() => {
  for (const child of started) child.kill('SIGKILL')
})

async function startStandaloneGateway(): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'db/gateway/cli.ts', '--port', '0', '--memory'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  started.push(child)
  let output = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString()
  })
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      const announced = /listening on (http:\/\/\S+\/sql)/.exec(output)?.[1]
      if (announced) resolve(announced)
    })
    child.once('exit', (code) =>
      reject(new Error(`the gateway exited (${code}) before listening:\n${output}`)),
    )
  })
  return { child, url, output: () => output }
}

// Without TEST_DATABASE_URL there is no real Postgres: the suite is reported skipped rather than the file empty.
const admin = adminUrl ?? ''

describe.skipIf(!admin)('the standalone gateway on real Postgres', () => {
  it('survives 20 rounds of pg_terminate_backend under load and serves within 1 s of the database reopening', {
    timeout: 90_000,
  }, async () => {
    const gateway = await startStandaloneGateway()
    const database = await createScratchDatabase(admin, `edgeline_drill_${Date.now().toString(36)}`)
    neonConfig.fetchEndpoint = gateway.url
    const sql = neon(database.url)
    let writes = 0
    try {
      const report = await runTerminationDrill({
        adminUrl: admin,
        database: new URL(database.url).pathname.slice(1),
        // Reads and writes alike: a write that meets a dead connection must fail cleanly, not crash anything.
        request: async () => {
          writes += 1
          if (writes % 2 === 0) await sql.query('INSERT INTO drill DEFAULT VALUES')
          else await sql.query('SELECT count(*) FROM drill')
          return true
        },
      })
      expect(report.backendsTerminated).toBeGreaterThanOrEqual(20)
      expect(report.succeeded).toBeGreaterThan(0)
      expect(report.failedWhileClosed).toBeGreaterThan(0)
      expect(report.recoveryMs).toBeLessThan(1000)
      expect(gateway.child.exitCode).toBeNull()
      expect(gateway.output()).not.toMatch(/uncaught|unhandled|\bError\b/i)
    } finally {
      await database.drop()
    }
  })
})
