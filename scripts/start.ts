/** `npm start`: serves the production build; with a local (or unset) DATABASE_URL it starts and migrates the local endpoint too. */
import { runNextWithDatabase } from './lib/run-next-with-database'

runNextWithDatabase({
  command: 'start',
  migrateRemote: false,
  seedWhenEmpty: false,
  seedAdmin: false,
}).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error)
  process.exit(1)
})
