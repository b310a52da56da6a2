/** The data model at a glance: drizzle table definitions, the single source for migrations and query types. */
import { sql } from 'drizzle-orm'
import { integer, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core'

/** Name of the index that makes emails unique whatever their case; queries match it to detect 23505. */
export const USERS_EMAIL_UNIQUE_INDEX = 'users_email_lower_key'

export const users = pgTable(
  'users',
  {
    // GENERATED ALWAYS: ids come only from the database, so a client can never pick (or collide with) one.
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    name: text('name').notNull(),
    // Stored as typed (trimmed by validation) so the user sees their own spelling; uniqueness ignores case.
    email: text('email').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [uniqueIndex(USERS_EMAIL_UNIQUE_INDEX).on(sql`lower(${table.email})`)],
)

export type User = typeof users.$inferSelect
export type NewUser = Pick<typeof users.$inferInsert, 'name' | 'email'>
