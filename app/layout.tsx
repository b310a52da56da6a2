/** The shell of every page: plain, accessible HTML and one small stylesheet. */
import type { Metadata } from 'next'
import type { ReactNode } from 'react'
import './styles.css'

// Pages are edge functions like the API (next build lists them as such; the e2e test checks it).
export const runtime = 'edge'

export const metadata: Metadata = {
  title: { default: 'Edgeline', template: '%s · Edgeline' },
  description: 'An edge-native backend on Next.js: Hono, Neon over HTTP, drizzle, jose.',
  // public/favicon.ico, named so browsers need not guess (and a missing one would fail a browser test).
  icons: { icon: '/favicon.ico' },
}

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      {/* Each page renders the site header itself, from the one read it makes (app/page-view.ts). */}
      <body>{children}</body>
    </html>
  )
}
