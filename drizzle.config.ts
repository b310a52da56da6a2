/** drizzle-kit settings: `npm run db:generate` diffs db/schema.ts against db/migrations offline (no database needed). */
import { defineConfig } from 'drizzle-kit'

export default defineConfig({
  dialect: 'postgresql',
  schema: './db/schema.ts',
  out: './db/migrations',
})
