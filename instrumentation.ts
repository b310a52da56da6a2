/** Next's start-up hook (next start, the production server): on Node, the absolute-form guard of decision 0029. */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME === 'nodejs') {
    const { serveAbsoluteFormAsPath } = await import('./server/absolute-form-guard')
    serveAbsoluteFormAsPath()
  }
}
