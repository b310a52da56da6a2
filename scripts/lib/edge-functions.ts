/** The edge functions of a production build (`.next/`), the files each one loads, their sizes, and their budgets. */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'

export interface EdgeFunction {
  /** `middleware`, or the function's page as Next names it (`/api/[[...route]]/route`, `/users/page`). */
  name: string
  /** The name Next registers its entry under in the sandbox (`_ENTRIES[entryName]`). */
  entryName: string
  /** The files the function loads, relative to `.next/`, in the order Next evaluates them. */
  files: string[]
  rawBytes: number
  /** Each file gzipped on its own, summed: what a platform that compresses each file stores and loads. */
  gzipBytes: number
  /** The variables the build gives the function (build id, keys), as Next's sandbox passes them. */
  env: Record<string, string>
}

interface ManifestEntry {
  name: string
  page: string
  files: string[]
  env?: Record<string, string>
}

/** Every edge function of the build in `nextDir`, middleware first; throws when there is no build. */
export function readEdgeFunctions(nextDir = '.next'): EdgeFunction[] {
  const manifestPath = join(nextDir, 'server/middleware-manifest.json')
  if (!existsSync(manifestPath)) throw new Error(`No build in ${nextDir}: run \`npm run build\` first.`)
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
    middleware: Record<string, ManifestEntry>
    functions: Record<string, ManifestEntry>
  }
  const entries = [
    ...Object.values(manifest.middleware).map((entry) => ({ ...entry, label: 'middleware' })),
    ...Object.entries(manifest.functions).map(([page, entry]) => ({ ...entry, label: page })),
  ]
  return entries.map((entry) => {
    const contents = entry.files.map((file) => readFileSync(join(nextDir, file)))
    return {
      name: entry.label,
      entryName: entry.name,
      files: entry.files,
      rawBytes: contents.reduce((sum, content) => sum + content.length, 0),
      gzipBytes: contents.reduce((sum, content) => sum + gzipSync(content).length, 0),
      env: entry.env ?? {},
    }
  })
}

/** For the command-line scripts: the build's edge functions, or the reason there are none and exit code 1. */
export function readEdgeFunctionsOrExit(): EdgeFunction[] {
  try {
    return readEdgeFunctions()
  } catch (error) {
    console.error((error as Error).message)
    process.exit(1)
  }
}

/** The budget of each kind of function, in KiB of gzip (issues 11 and 16; decision 0021 says what each one holds). */
export const EDGE_BUDGETS: readonly { kind: string; kib: number; names: readonly string[] }[] = [
  { kind: 'middleware', kib: 64, names: ['middleware'] },
  // Issues 16 and 19. Raised to 256 for the account flows (decision 0031), back to 240 once the API's prose, Hono's
  // two bigger routers and zod-validator left the functions (decisions 0038, 0040).
  { kind: 'API', kib: 240, names: ['/api/[[...route]]/route'] },
  {
    kind: 'form handlers',
    kib: 240,
    names: [
      '/login/submit/route',
      '/signup/submit/route',
      '/users/submit/route',
      '/account/submit/route',
      '/forgot-password/submit/route',
      '/reset-password/submit/route',
      '/verify-email/submit/route',
    ],
  },
  // Issue 16: half of Vercel Hobby's 1 MiB edge limit, now that pages read the database in-process (decision 0021).
  {
    kind: 'pages',
    kib: 512,
    names: [
      '/page',
      '/users/page',
      '/account/page',
      '/login/page',
      '/signup/page',
      '/_not-found/page',
      '/forgot-password/page',
      '/reset-password/page',
      '/verify-email/page',
    ],
  },
]

/** The budget a function is held to, or undefined for a function nobody has given one yet. */
export function budgetOf(name: string): { kind: string; kib: number } | undefined {
  return EDGE_BUDGETS.find((budget) => budget.names.includes(name))
}

export const kib = (bytes: number) => bytes / 1024
