/**
 * Where a read goes when DATABASE_REPLICA_URLS is set (decision 0037): to a replica that has replayed the caller's
 * own writes and is not lagging, in one round trip with the check; otherwise to the primary. Edge-safe.
 */
import { type SQL, sql } from 'drizzle-orm'
import type { BatchItem } from 'drizzle-orm/batch'
import { createDatabase, type Database } from './client'
import { classifyDatabaseFailure } from './errors'

/** The id (`xid8`, decimal) of a transaction that wrote on the primary, as a write reads it in its own statement. */
export type ConsistencyPosition = string

/**
 * What a caller carries after writing: the transaction its reads must see, and when it was answered (this
 * server's clock, ms). A replica may serve the caller once that transaction is visible in its snapshot.
 */
export interface CallerPosition {
  xid: ConsistencyPosition
  writtenAt: number
}

/** On the wire: `<xid>.<ms>`, digits only, so nothing but a 64-bit number ever reaches SQL. */
const WIRE_PATTERN = /^([1-9]\d{0,19})\.(\d{1,15})$/

/** A position as a caller sent it (header or cookie), or undefined when absent or malformed (then: no constraint). */
export function readPosition(value: string | null | undefined): CallerPosition | undefined {
  const match = value ? WIRE_PATTERN.exec(value) : null
  if (!match || BigInt(match[1] as string) >= 2n ** 64n) return undefined
  return { xid: match[1] as string, writtenAt: Number(match[2]) }
}

export function formatPosition({ xid, writtenAt }: CallerPosition): string {
  return `${xid}.${writtenAt}`
}

/** The later of two positions (transaction ids are assigned in order; a caller's later write has the larger). */
export function laterPosition(
  a: CallerPosition | undefined,
  b: CallerPosition | undefined,
): CallerPosition | undefined {
  if (a === undefined) return b
  if (b === undefined) return a
  return BigInt(a.xid) >= BigInt(b.xid) ? a : b
}

/**
 * The SQL a write adds to its own statement (a RETURNING column, a selected column): its transaction's id, the
 * position its caller carries back. `pg_current_xact_id()` assigns one if the statement has not yet (harmless: the
 * statement writes anyway); it is the transaction's, so it commits, or not, with the write.
 */
export const writePosition: SQL<string> = sql<string>`pg_current_xact_id()::text`

/** How a replica stood at its last check. */
export type ReplicaState = 'up' | 'lagging' | 'down' | 'unchecked'

export interface ReplicaStatus {
  /** `replica-1`, `replica-2`… in DATABASE_REPLICA_URLS order: never the URL (it may hold a password). */
  name: string
  state: ReplicaState
  /** Replay lag at the last check, in milliseconds; null when it could not be read. */
  lagMs: number | null
}

export interface Replica {
  name: string
  db: Database
}

export interface ReadRouterOptions {
  primary: Database
  replicas: Replica[]
  /** A replica further behind than this serves no one until a check finds it caught up (DATABASE_REPLICA_MAX_LAG_MS). */
  maxLagMs: number
  /** How long a replica found down or lagging is left alone before a read tries it again. */
  recheckAfterMs?: number
  /**
   * A caller whose write is younger than this reads from the primary straight away: a replica has most likely not
   * replayed it yet, and checking would cost a wasted round trip (decision 0037 has the measurements).
   */
  freshWriteMs?: number
  now?: () => number
}

/** Where a read was answered from: what the router did, as data, for callers that want to report it. */
export type ReadSource = 'primary' | 'replica'

export interface RoutedRead<T> {
  value: T
  from: ReadSource
  /** Database round trips this read took: 1, or 2 when a replica was tried and could not serve it. */
  roundTrips: 1 | 2
}

export interface ReadRouter {
  primary: Database
  hasReplicas: boolean
  /** The lag bound replicas are held to (a consistency cookie outlives it). */
  maxLagMs: number
  /**
   * Runs the statements `build` makes (not yet run; built on the database handed to it) where they may run for a
   * caller at `position`, and `finish` turns their rows into the answer. On a replica the statements go in one
   * batch behind a check of its lag and of `position`; if the check fails, or the replica does, they run again on
   * the primary (the only case of two round trips).
   */
  read<T>(
    position: CallerPosition | undefined,
    build: (db: Database) => BatchItem<'pg'>[],
    finish: (results: unknown[][]) => T,
  ): Promise<RoutedRead<T>>
  /** Checks every replica now, in parallel (one round trip each), for the health check. */
  checkReplicas(): Promise<ReplicaStatus[]>
}

/** One second: a failed replica is tried again by the first read a second later, so recovery shows within ~1 s. */
export const DEFAULT_RECHECK_AFTER_MS = 1000

/**
 * Half a second: replay of a write on a streaming standby here took 6 ms at the median, 80 ms at p99 and 124 ms at
 * most (under load). Reads of one's own write after that go to a replica again (checked; the primary when it has
 * not replayed it).
 */
export const DEFAULT_FRESH_WRITE_MS = 500

interface ReplicaHealth extends Replica {
  state: ReplicaState
  lagMs: number | null
  /** Until when reads skip it (after it failed or lagged). */
  skipUntil: number
}

interface ProbeRow {
  caught_up: boolean | null
  lag_ms: string | number | null
}

/**
 * The check that precedes a read on a replica, in the same batch: is the caller's transaction visible in this
 * replica's snapshot (a later statement's snapshot on the same server sees at least as much), and how far behind
 * is its replay? Lag counts only while WAL received is still waiting to be replayed: a caught-up replica of an
 * idle primary is 0, not "time since the last commit". On a primary (a misconfigured replica URL) both are fine.
 */
function probe(db: Database, position: CallerPosition | undefined) {
  const visible =
    position === undefined
      ? sql`null::boolean`
      : sql`pg_visible_in_snapshot(${position.xid}::xid8, pg_current_snapshot())`
  return db.execute<Record<string, unknown>>(sql`select ${visible} as caught_up,
    case when pg_is_in_recovery() and pg_last_wal_receive_lsn() is distinct from pg_last_wal_replay_lsn()
      then round(extract(epoch from now() - pg_last_xact_replay_timestamp()) * 1000) else 0 end as lag_ms`)
}

function lagOf(row: ProbeRow | undefined): number | null {
  if (!row || row.lag_ms === null) return null
  return Math.max(0, Number(row.lag_ms))
}

/** Runs the statements on `db`: alone when there is one (no transaction), else as one batch. */
async function runAll(db: Database, statements: BatchItem<'pg'>[]): Promise<unknown[][]> {
  const [first, ...rest] = statements
  if (!first) return []
  if (rest.length === 0) return [(await first) as unknown as unknown[]]
  return (await db.batch([first, ...rest])) as unknown[][]
}

/** Rows of a `db.execute` result (neon-http answers the driver's full result). */
function rowsOf(result: unknown): unknown[] {
  return Array.isArray(result) ? result : ((result as { rows?: unknown[] }).rows ?? [])
}

export function createReadRouter({
  primary,
  replicas,
  maxLagMs,
  recheckAfterMs = DEFAULT_RECHECK_AFTER_MS,
  freshWriteMs = DEFAULT_FRESH_WRITE_MS,
  now = Date.now,
}: ReadRouterOptions): ReadRouter {
  const health: ReplicaHealth[] = replicas.map((replica) => ({
    ...replica,
    state: 'unchecked',
    lagMs: null,
    skipUntil: 0,
  }))
  let next = 0

  /** The next replica in turn that is not being left alone, if any. */
  function pick(): ReplicaHealth | undefined {
    const at = now()
    for (let i = 0; i < health.length; i++) {
      const replica = health[(next + i) % health.length] as ReplicaHealth
      if (replica.skipUntil <= at) {
        next = (next + i + 1) % health.length
        return replica
      }
    }
    return undefined
  }

  function record(replica: ReplicaHealth, state: ReplicaState, lagMs: number | null): void {
    replica.state = state
    replica.lagMs = lagMs
    replica.skipUntil = state === 'up' ? 0 : now() + recheckAfterMs
  }

  /** A replica's failure: down when it could not serve (unreachable, refusing, too slow); else not its fault. */
  function failed(replica: ReplicaHealth, error: unknown): void {
    if (classifyDatabaseFailure(error) !== undefined) record(replica, 'down', null)
  }

  return {
    primary,
    hasReplicas: health.length > 0,
    maxLagMs,
    async read(position, build, finish) {
      const fresh = position !== undefined && now() - position.writtenAt < freshWriteMs
      const replica = fresh ? undefined : pick()
      if (replica) {
        try {
          const [check, ...results] = (await replica.db.batch([
            probe(replica.db, position),
            ...build(replica.db),
          ] as [BatchItem<'pg'>, ...BatchItem<'pg'>[]])) as unknown[]
          const row = rowsOf(check)[0] as ProbeRow | undefined
          const lagMs = lagOf(row)
          if (lagMs !== null && lagMs > maxLagMs) {
            record(replica, 'lagging', lagMs)
          } else {
            record(replica, 'up', lagMs)
            // Not yet replayed this caller's write: a fine replica, just not for them, not yet.
            if (row?.caught_up !== false) {
              return { value: finish(results as unknown[][]), from: 'replica', roundTrips: 1 }
            }
          }
        } catch (error) {
          failed(replica, error)
        }
        return { value: finish(await runAll(primary, build(primary))), from: 'primary', roundTrips: 2 }
      }
      return { value: finish(await runAll(primary, build(primary))), from: 'primary', roundTrips: 1 }
    },
    async checkReplicas() {
      return Promise.all(
        health.map(async (replica): Promise<ReplicaStatus> => {
          try {
            const lagMs = lagOf(rowsOf(await probe(replica.db, undefined))[0] as ProbeRow | undefined)
            record(replica, lagMs !== null && lagMs > maxLagMs ? 'lagging' : 'up', lagMs)
          } catch {
            // Whatever the reason, it cannot serve reads now.
            record(replica, 'down', null)
          }
          return { name: replica.name, state: replica.state, lagMs: replica.lagMs }
        }),
      )
    },
  }
}

/** A router with no replicas: every read on the primary, in one round trip. */
export function primaryOnly(primary: Database, maxLagMs = 0): ReadRouter {
  return createReadRouter({ primary, replicas: [], maxLagMs })
}

export interface ReplicaSettings {
  /** DATABASE_REPLICA_URLS: each reached like the primary (Neon's hosts directly, others through the gateway). */
  replicaUrls: string[]
  replicaMaxLagMs: number
  sqlGatewayEndpoint: string
  databaseTimeoutMs: number
}

/**
 * A replica gets a shorter deadline than the primary: a replica that hangs should cost a read a moment, not the
 * whole DATABASE_TIMEOUT_MS, before the primary answers it instead.
 */
export const REPLICA_TIMEOUT_MS = 2000

/** The read router of this configuration: `primary`, and a client per replica URL, named in their order. */
export function readRouterFor(primary: Database, settings: ReplicaSettings): ReadRouter {
  return createReadRouter({
    primary,
    maxLagMs: settings.replicaMaxLagMs,
    replicas: settings.replicaUrls.map((url, i) => ({
      name: `replica-${i + 1}`,
      db: createDatabase({
        databaseUrl: url,
        sqlGatewayEndpoint: settings.sqlGatewayEndpoint,
        timeoutMs: Math.min(settings.databaseTimeoutMs, REPLICA_TIMEOUT_MS),
      }),
    })),
  })
}
