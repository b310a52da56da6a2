/**
 * A database that keeps losing connections, for real: backends terminated under load, then the database refusing
 * every connection, then accepting them again. What a server in front of it must survive without a restart.
 */
import pg from 'pg'

export interface DrillOptions {
  /** A connection string of a superuser on the same server (to terminate backends and close the database). */
  adminUrl: string
  /** The database the server under test uses; it is closed and reopened. */
  database: string
  /** One request through the server under test: true when it succeeded. */
  request: () => Promise<boolean>
  terminations?: number
  concurrency?: number
}

export interface DrillReport {
  succeeded: number
  failed: number
  /** Backends `pg_terminate_backend` ended while the load ran. */
  backendsTerminated: number
  /** Requests that failed while the database refused connections (there must be some, or nothing was tested). */
  failedWhileClosed: number
  /** From the database accepting connections again to the first request that succeeded. */
  recoveryMs: number
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export async function runTerminationDrill(options: DrillOptions): Promise<DrillReport> {
  const { adminUrl, database, request, terminations = 20, concurrency = 8 } = options
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  const terminateAll = async () =>
    (
      await admin.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
        [database],
      )
    ).rowCount ?? 0
  let succeeded = 0
  let failed = 0
  let loadRunning = true
  const worker = async () => {
    while (loadRunning) {
      if (await request().catch(() => false)) succeeded += 1
      else failed += 1
    }
  }
  try {
    const load = Array.from({ length: concurrency }, worker)
    let backendsTerminated = 0
    for (let round = 0; round < terminations; round += 1) {
      await pause(100)
      backendsTerminated += await terminateAll()
    }
    loadRunning = false
    await Promise.all(load)

    await admin.query(`ALTER DATABASE ${database} ALLOW_CONNECTIONS false`)
    await terminateAll()
    let failedWhileClosed = 0
    for (let attempt = 0; attempt < 5; attempt += 1) {
      if (!(await request().catch(() => false))) failedWhileClosed += 1
    }
    await admin.query(`ALTER DATABASE ${database} ALLOW_CONNECTIONS true`)
    const reopenedAt = performance.now()
    while (!(await request().catch(() => false))) {
      if (performance.now() - reopenedAt > 30_000) throw new Error('no request succeeded within 30 s')
      await pause(20)
    }
    const recoveryMs = Math.round(performance.now() - reopenedAt)
    return { succeeded, failed, backendsTerminated, failedWhileClosed, recoveryMs }
  } finally {
    loadRunning = false
    await admin.query(`ALTER DATABASE ${database} ALLOW_CONNECTIONS true`).catch(() => undefined)
    await admin.end()
  }
}

/** A database of its own on the server of `adminUrl`, with one table, and a function that drops it. */
export async function createScratchDatabase(adminUrl: string, name: string) {
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${name}`)
  await admin.end()
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  const owner = new pg.Client({ connectionString: url.toString() })
  await owner.connect()
  await owner.query('CREATE TABLE drill (id serial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())')
  await owner.end()
  return {
    url: url.toString(),
    async drop() {
      const dropper = new pg.Client({ connectionString: adminUrl })
      await dropper.connect()
      await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      await dropper.end()
    },
  }
}
