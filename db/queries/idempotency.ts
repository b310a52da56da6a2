/**
 * The SQL of `Idempotency-Key`: claim a key, store a create's answer, read what happened. Creates use these as one
 * transaction batch of two statements (one round trip): the claim, then the create that writes only under the
 * claim and stores its answer beside it. See docs/decisions/0016-idempotency-keys.md.
 */
import { type SQL, sql } from 'drizzle-orm'
import type { Database } from '../client'
import { idempotencyKeys } from '../schema'

/** How long an answer is kept: a retry within this time gets it; after it, the key is free again. */
const KEEP_ANSWERS = sql`interval '24 hours'`

/** A create sent with an `Idempotency-Key`. */
export interface IdempotentRequest {
  /** Whose key it is (`users:<caller id>`, `signup:<email>`): keys of different scopes never meet. */
  scope: string
  key: string
  /** Digest of the canonical request: the same key with another body is refused, not replayed. */
  fingerprint: string
  /** A random UUID of this request, so its create can tell its own claim from an earlier request's. */
  claim: string
}

/** What became of a create sent with a key, and the row it created (this time or the first time). */
export type IdempotentOutcome =
  | { kind: 'created'; row: Record<string, unknown> }
  | { kind: 'replayed'; status: number; row: Record<string, unknown> }
  /** The key was used for a different request (another body) within 24 h. */
  | { kind: 'key-reused' }
  /** The key's first request has not stored its answer yet. */
  | { kind: 'in-flight' }

const isKey = (request: IdempotentRequest, table: SQL = sql`${idempotencyKeys}`) =>
  sql`${table}.scope = ${request.scope} and ${table}.key = ${request.key}`

/**
 * The batch's first statement: inserts the key with this request's claim, or takes over a key older than 24 h. A
 * live key is left alone. A concurrent request with the same key waits here on the key's index entry or row lock
 * until the first one's batch commits, and then finds the key taken. The oldest few expired keys are purged on the
 * way (skipping any another request holds), so the table stays small with no job and no extra round trip.
 */
export function claimIdempotencyKey(db: Database, request: IdempotentRequest) {
  return db.execute(sql`
    with purged as (
      delete from ${idempotencyKeys} where (scope, key) in (
        select scope, key from ${idempotencyKeys}
        where created_at < now() - ${KEEP_ANSWERS} and not (${isKey(request)})
        order by created_at limit 20 for update skip locked)
    )
    insert into ${idempotencyKeys} as k (scope, key, fingerprint, claim)
    values (${request.scope}, ${request.key}, ${request.fingerprint}, ${request.claim}::uuid)
    on conflict (scope, key) do update
      set fingerprint = excluded.fingerprint, claim = excluded.claim, status = null, resource = null,
          created_at = now()
      where k.created_at < now() - ${KEEP_ANSWERS}`)
}

/** A CTE body with one row when this request holds the key's claim: a create selects from it to run at all. */
export function heldClaim(request: IdempotentRequest): SQL {
  return sql`select 1 from ${idempotencyKeys} where ${isKey(request)}
    and claim = ${request.claim}::uuid and status is null`
}

/** A CTE body storing the answer beside the claim: `status`, and the row the CTE `created` returned. */
export function storeAnswer(request: IdempotentRequest, status: number, created: SQL): SQL {
  return sql`update ${idempotencyKeys} set status = ${status}::int,
      resource = (select to_jsonb(c) from ${created} c)
    where ${isKey(request)} and claim = ${request.claim}::uuid and exists (select 1 from ${created})`
}

/**
 * A CTE body with the answer (`resource`) of an earlier request with this key and this fingerprint, if one is
 * stored and live: for creates whose replay does more than repeat the answer (a sign-up starts a new session).
 */
export function earlierAnswer(request: IdempotentRequest): SQL {
  return sql`select k.status, k.resource from ${idempotencyKeys} k
    where ${isKey(request, sql`k`)} and k.claim <> ${request.claim}::uuid and k.fingerprint = ${request.fingerprint}
      and k.status is not null and k.created_at >= now() - ${KEEP_ANSWERS}`
}

/** The columns the final select of a create returns so `readOutcome` can say what happened. */
export type OutcomeColumns = {
  claimed_here: boolean | null
  same_request: boolean | null
  status: number | null
  resource: Record<string, unknown> | null
  created: Record<string, unknown> | null
}

/**
 * The final select of a create: the key's row as this statement sees it (its own claim, or an earlier request's
 * committed answer), and the row the CTE `created` returned, if any. `extra` adds columns of the caller's own.
 */
export function selectOutcome(request: IdempotentRequest, created: SQL, extra: SQL = sql``): SQL {
  return sql`
    select k.claim = ${request.claim}::uuid as claimed_here, k.fingerprint = ${request.fingerprint} as same_request,
           k.status, k.resource, (select to_jsonb(c) from ${created} c) as created ${extra}
    from (select 1) as one
    left join ${idempotencyKeys} k on ${isKey(request, sql`k`)} and k.created_at >= now() - ${KEEP_ANSWERS}`
}

/** What the final select says happened. */
export function readOutcome(row: OutcomeColumns | undefined): IdempotentOutcome {
  if (row?.claimed_here && row.created) return { kind: 'created', row: row.created }
  // The claim is ours but nothing was created: cannot happen (a failed create rolls the claim back); say so loudly.
  if (row?.claimed_here) throw new Error('an idempotency key was claimed but the create wrote nothing')
  // No live key at all: it expired between the two statements, or the claim failed in a way we do not know.
  if (row?.same_request == null) return { kind: 'in-flight' }
  if (!row.same_request) return { kind: 'key-reused' }
  if (row.status === null || row.resource === null) return { kind: 'in-flight' }
  return { kind: 'replayed', status: row.status, row: row.resource }
}
