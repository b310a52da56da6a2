/** The image's HEALTHCHECK: exits 0 when the server's /api/health answers 200 (database reachable) within 4 s, else 1. */
const port = process.env.PORT || '3000'
try {
  const response = await fetch(`http://127.0.0.1:${port}/api/health`, { signal: AbortSignal.timeout(4000) })
  process.exit(response.ok ? 0 : 1)
} catch {
  process.exit(1)
}
