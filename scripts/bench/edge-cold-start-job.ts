/** What a cold-start measurement of `npm run bench:edge` loads and asks, in either runtime. */
export interface ColdStartJob {
  /** `_ENTRIES['middleware_' + entryName]` is the function's handler once its files are evaluated. */
  entryName: string
  /** The function's page (`/api/[[...route]]/route`), as Next passes it. */
  page: string
  /** The files, relative to distDir, in the order they are evaluated. */
  files: string[]
  distDir: string
  /** The function's own variables from the build (build id, keys). */
  env: Record<string, string>
  /** What the platform's process.env holds (JWT_SECRET, DATABASE_URL, NODE_ENV). */
  processEnv: Record<string, string>
  request: { url: string; method: string; headers: Record<string, string> }
}
