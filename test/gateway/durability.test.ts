/** Committed data in the embedded database survives the endpoint process being killed outright. */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { neon, neonConfig } from '@neondatabase/serverless'
import { afterAll, describe, expect, it } from 'vitest'
import { EMBEDDED_DATABASE_URL } from '../../db/database-url'

const children: ChildProcess[] = []

/** Runs `npm run db:gateway` as a user would (same entry point), on a free port, and waits for its address. */
async function startEndpointProcess(dataDir: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'db/gateway/cli.ts', '--port', '0', '--data-dir', dataDir],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  )
  children.push(child)
  const url = await new Promise<string>((resolve, reject) => {
    let output = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      const match = /listening on (http:\/\/\S+)/.exec(output)
      if (match?.[1]) resolve(match[1])
    })
    child.once('exit', (code) =>
      reject(new Error(`endpoint exited with ${code} before listening: ${output}`)),
    )
  })
  return { url, child }
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve())
    child.kill('SIGKILL')
  })
}

afterAll(() => {
  for (const child of children) child.kill('SIGKILL')
})

describe('the embedded database on disk', () => {
  it('keeps every committed row after a SIGKILL and a restart', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'edgeline-durability-'))
    try {
      const first = await startEndpointProcess(dataDir)
      neonConfig.fetchEndpoint = first.url
      const sql = neon(EMBEDDED_DATABASE_URL)
      await sql`CREATE TABLE kept (id int PRIMARY KEY, note text)`
      await sql`INSERT INTO kept VALUES (1, 'single statement')`
      await sql.transaction([
        sql`INSERT INTO kept VALUES (2, 'batch a')`,
        sql`INSERT INTO kept VALUES (3, 'batch b')`,
      ])
      await killed(first.child)

      const second = await startEndpointProcess(dataDir)
      neonConfig.fetchEndpoint = second.url
      expect(await sql`SELECT id, note FROM kept ORDER BY id`).toEqual([
        { id: 1, note: 'single statement' },
        { id: 2, note: 'batch a' },
        { id: 3, note: 'batch b' },
      ])
      await killed(second.child)
    } finally {
      await rm(dataDir, { recursive: true, force: true })
    }
  }, 120_000)
})
