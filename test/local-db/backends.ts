/** The backends the conformance suite runs against, and a Neon client pointed at the test run's local endpoint. */
import { neon, neonConfig } from '@neondatabase/serverless'
import { inject } from 'vitest'

neonConfig.fetchEndpoint = inject('sqlEndpoint')

/** `describe.each(backends)` runs a suite on embedded PGlite, and on real Postgres when TEST_DATABASE_URL is set. */
export const backends = inject('backendUrls')

export const sqlEndpoint = inject('sqlEndpoint')

export function connect(url: string) {
  return neon(url)
}

/** A table name no other test (or earlier run on a shared database) uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`
}
