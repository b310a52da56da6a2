/**
 * The outbox: messages are queued by the statement that causes them (as a CTE, see `queueMessageFor`), then read,
 * claimed and marked by delivery and by `npm run mail:outbox`. Each function is one round trip.
 */
import { type SQL, sql } from 'drizzle-orm'
import type { Database } from '../client'
import { outbox } from '../schema'
import { isoTimestamp } from './accounts'

/** A message as the code that causes it words it; the recipient comes from the statement that queues it. */
export interface OutgoingMessage {
  /** What it is for: `invitation`, `password-reset`, `email-change`, `email-changed`. */
  kind: string
  subject: string
  /** Plain text. Never a password; links are absolute. */
  body: string
}

/**
 * A CTE body that queues `message` once for every row of `source` (a CTE's name), to the address in its column
 * `addressColumn`. No row, no message: the message exists exactly when its cause does.
 */
export const queueMessageFor = (source: SQL, addressColumn: SQL, message: OutgoingMessage) => sql`
  insert into ${outbox} (to_address, subject, body, kind)
  select ${addressColumn}, ${message.subject}, ${message.body}, ${message.kind} from ${source}`

/** A message as the outbox holds it. */
export interface QueuedMessage {
  id: number
  to: string
  subject: string
  /** Null once sent: the body may hold a live link, and is dropped on delivery. */
  text: string | null
  kind: string
  createdAt: string
  sentAt: string | null
  attempts: number
  lastError: string | null
}

type MessageRow = {
  id: number
  to_address: string
  subject: string
  body: string | null
  kind: string
  created_at: string
  sent_at: string | null
  attempts: number
  last_error: string | null
}

// A function, not a constant: this module and accounts.ts import each other (through users.ts).
const messageColumns = (table = sql`outbox`) => sql`${table}.id, ${table}.to_address, ${table}.subject,
  ${table}.body, ${table}.kind, ${isoTimestamp(sql`${table}.created_at`)} as created_at,
  ${isoTimestamp(sql`${table}.sent_at`)} as sent_at, ${table}.attempts, ${table}.last_error`

function toQueuedMessage(row: MessageRow): QueuedMessage {
  return {
    id: row.id,
    to: row.to_address,
    subject: row.subject,
    text: row.body,
    kind: row.kind,
    createdAt: row.created_at,
    sentAt: row.sent_at,
    attempts: row.attempts,
    lastError: row.last_error,
  }
}

/** The latest messages, newest first, optionally only those to one address (whatever its case). */
export async function latestMessages(
  db: Database,
  options: { limit: number; to?: string },
): Promise<QueuedMessage[]> {
  const result = await db.execute<MessageRow>(sql`
    select ${messageColumns()} from ${outbox}
    where ${options.to ?? null}::text is null or lower(to_address) = lower(${options.to ?? null}::text)
    order by id desc limit ${options.limit}`)
  return result.rows.map(toQueuedMessage)
}

/**
 * Claims up to `limit` messages that are due (unsent, not claimed by another sender, past their next attempt) for
 * `claimSeconds`, counting the attempt. `FOR UPDATE SKIP LOCKED` in one statement: two senders running at once never
 * get the same message, and a sender that dies leaves its claim to expire.
 */
export async function claimDueMessages(
  db: Database,
  options: {
    limit: number
    claimSeconds: number
    maxAttempts: number
    /** Only addresses matching this LIKE pattern: lets a test deliver its own messages in a shared database. */
    addressLike?: string
  },
): Promise<QueuedMessage[]> {
  const result = await db.execute<MessageRow>(sql`
    with due as (
      select id from ${outbox}
      where sent_at is null and next_attempt_at <= now() and attempts < ${options.maxAttempts}
        and (claimed_until is null or claimed_until < now())
        and (${options.addressLike ?? null}::text is null or to_address like ${options.addressLike ?? null}::text)
      order by id limit ${options.limit}
      for update skip locked
    )
    update ${outbox} o set claimed_until = now() + make_interval(secs => ${options.claimSeconds}::int),
      attempts = o.attempts + 1
    from due where o.id = due.id
    returning ${messageColumns(sql`o`)}`)
  return result.rows.map(toQueuedMessage)
}

/** A delivered message: marked sent, its body dropped. Only while the claim is this sender's (`attempts` matches). */
export async function markMessageSent(db: Database, id: number, attempt: number): Promise<void> {
  await db.execute(sql`
    update ${outbox} set sent_at = now(), body = null, claimed_until = null, last_error = null
    where id = ${id} and attempts = ${attempt} and sent_at is null`)
}

/** A failed attempt: released, to be tried again after `retryInSeconds` (the caller's backoff). */
export async function markMessageFailed(
  db: Database,
  id: number,
  attempt: number,
  error: string,
  retryInSeconds: number,
): Promise<void> {
  await db.execute(sql`
    update ${outbox} set claimed_until = null, last_error = ${error.slice(0, 500)},
      next_attempt_at = now() + make_interval(secs => ${retryInSeconds}::int)
    where id = ${id} and attempts = ${attempt} and sent_at is null`)
}
