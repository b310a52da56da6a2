/** The data model at a glance: drizzle table definitions, the single source for migrations and query types. */
import { sql } from 'drizzle-orm'
import {
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core'

/** Name of the index that makes emails unique whatever their case; queries match it to detect 23505. */
export const USERS_EMAIL_UNIQUE_INDEX = 'users_email_lower_key'

/** What a user may do: `admin` manages every account, `user` only their own. Carried in the access token. */
export const ROLES = ['admin', 'user'] as const
export type Role = (typeof ROLES)[number]

export const users = pgTable(
  'users',
  {
    // GENERATED ALWAYS: ids come only from the database, so a client can never pick (or collide with) one.
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    name: text('name').notNull(),
    // Stored as typed (trimmed by validation) so the user sees their own spelling; uniqueness ignores case.
    email: text('email').notNull(),
    // `pbkdf2-sha256$<iterations>$<salt>$<hash>`; null for accounts an admin created (they cannot log in yet).
    // Never selected by the Users queries: see `publicUserColumns` in db/queries/users.ts.
    passwordHash: text('password_hash'),
    role: text('role').$type<Role>().notNull().default('user'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    // The row's version, the source of its ETag (docs/decisions/0015-conditional-requests.md). A trigger
    // (migration 0003) adds one on every UPDATE, whoever runs it, so no writer (nor a hand-typed fix) can forget.
    version: integer('version').notNull().default(1),
  },
  (table) => [
    uniqueIndex(USERS_EMAIL_UNIQUE_INDEX).on(sql`lower(${table.email})`),
    check('users_role_check', sql`${table.role} in ('admin', 'user')`),
  ],
)

/**
 * Refresh tokens, stored only as their SHA-256: a database leak yields no usable token. Every token belongs to a
 * family (one log-in); using a token marks it used and issues the next one of the family, and presenting a used
 * token again revokes the whole family (see docs/decisions/0009-refresh-token-rotation.md).
 */
export const refreshTokens = pgTable(
  'refresh_tokens',
  {
    tokenHash: text('token_hash').primaryKey(),
    familyId: uuid('family_id').notNull(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    usedAt: timestamp('used_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (table) => [
    index('refresh_tokens_family_id_idx').on(table.familyId),
    index('refresh_tokens_user_id_idx').on(table.userId),
  ],
)

/**
 * Log-in attempts per bucket (a hashed email, a hashed client address) in a fixed window. Every attempt is counted
 * before the password is checked (one atomic upsert, so concurrent guesses cannot slip past the limit) and a
 * successful one is refunded; see docs/decisions/0007-login-throttling-in-postgres.md.
 */
export const loginAttempts = pgTable(
  'login_attempts',
  {
    bucket: text('bucket').primaryKey(),
    attempts: integer('attempts').notNull(),
    windowEndsAt: timestamp('window_ends_at', { withTimezone: true }).notNull(),
  },
  (table) => [index('login_attempts_window_ends_at_idx').on(table.windowEndsAt)],
)

/**
 * The answers of creates sent with an `Idempotency-Key`, so a retry gets the first answer instead of a second row.
 * The key is claimed and the answer stored in the create's own round trip; a row older than 24 h counts as gone
 * and is purged a few at a time by later creates. See docs/decisions/0016-idempotency-keys.md.
 */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    // Whose key: `users:<caller id>`, or `signup:<lowercased email>`; a client's keys never meet another's.
    scope: text('scope').notNull(),
    key: text('key').notNull(),
    // SHA-256 (HMAC for sign-ups, whose body holds a password) of the canonical request: same key, other body is a 422.
    fingerprint: text('fingerprint').notNull(),
    // A random token of the request that claimed the key, so its own write can tell its claim from an older one.
    claim: uuid('claim').notNull(),
    // The first answer: its status and the created row as it was, from which the body and headers are rendered.
    status: integer('status'),
    resource: jsonb('resource'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    primaryKey({ columns: [table.scope, table.key] }),
    index('idempotency_keys_created_at_idx').on(table.createdAt),
  ],
)

/** A users row as stored, password hash included: only the account queries ever see it. */
export type UserRecord = typeof users.$inferSelect
/** A user as the API shows it: never the password hash. */
export type User = Omit<UserRecord, 'passwordHash' | 'version'>
/** A user with the version its ETag is made of (the Users resource's reads and writes). */
export type VersionedUser = User & Pick<UserRecord, 'version'>
export type NewUser = Pick<typeof users.$inferInsert, 'name' | 'email'> & { role?: Role }

/** Why an account token exists: each purpose is redeemed by its own flow (see db/queries/account-tokens.ts). */
export const ACCOUNT_TOKEN_PURPOSES = ['password-reset', 'invitation', 'email-change'] as const
export type AccountTokenPurpose = (typeof ACCOUNT_TOKEN_PURPOSES)[number]

/**
 * Single-use links sent by email (password reset, invitation, email change), stored only as their SHA-256. A token
 * is deleted when used, when a newer one of the same purpose is issued for the account, and is void once the
 * account's password or email differs from the one it was issued under (`account_fingerprint`): a reset link dies
 * with any password change, and a link mailed to an address the account no longer has dies with the change, however
 * either happened. See docs/decisions/0031-account-email-and-the-outbox.md.
 */
export const accountTokens = pgTable(
  'account_tokens',
  {
    tokenHash: text('token_hash').primaryKey(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    purpose: text('purpose').$type<AccountTokenPurpose>().notNull(),
    // The address an email change moves to (only `email-change`).
    newEmail: text('new_email'),
    // SHA-256 of the account's password hash (or '' for none) and lower-cased email when the token was issued.
    accountFingerprint: text('account_fingerprint').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (table) => [
    index('account_tokens_user_id_idx').on(table.userId),
    check(
      'account_tokens_purpose_check',
      sql`${table.purpose} in ('password-reset', 'invitation', 'email-change')`,
    ),
  ],
)

/**
 * Email to send, written in the same statement as the change that causes it (an invitation with its user, a reset
 * link with its token), so a message exists exactly when its cause does. Delivery claims rows (`claimed_until`) so
 * no two senders send one twice; a sent message keeps its row, without its body (which may hold a live link).
 */
export const outbox = pgTable(
  'outbox',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    toAddress: text('to_address').notNull(),
    subject: text('subject').notNull(),
    // Plain text; null once sent (the link it held must not outlive its delivery in the database).
    body: text('body'),
    // What the message is for (`invitation`, `password-reset`, …): for logs and the mail:outbox listing.
    kind: text('kind').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull().defaultNow(),
    claimedUntil: timestamp('claimed_until', { withTimezone: true }),
    sentAt: timestamp('sent_at', { withTimezone: true }),
    lastError: text('last_error'),
  },
  (table) => [index('outbox_pending_idx').on(table.nextAttemptAt).where(sql`${table.sentAt} is null`)],
)
