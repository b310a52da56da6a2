/** `npm run dev`: local database endpoint (persistent PGlite), migrations, a cleared log-in throttle, demo seed when empty, then `next dev`. */
import { runNextWithDatabase } from './lib/run-next-with-database'

runNextWithDatabase({
  migrateRemote: true,
  clearLoginThrottle: true,
  seedWhenEmpty: true,
  seedAdmin: true,
}).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error)
  process.exit(1)
})
