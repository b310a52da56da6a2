/** Next.js settings: Next only hosts the edge API route (and later pages); the API itself lives in edge/. */
import type { NextConfig } from 'next'
import { API_DOCS_CACHE_CONTROL, API_DOCS_FILES } from './edge/openapi'
import { serveAbsoluteFormAsPath } from './server/absolute-form-guard'

// `next start` and `next dev` load this file in the process that serves, and run no other code of ours before
// Next's router: the one place to stop an absolute-form target from becoming a 308 to the host the client named
// (decision 0029). Not instrumentation.ts: Next would add its wrapper to every edge function (4 KiB gzip each).
serveAbsoluteFormAsPath()

const nextConfig: NextConfig = {
  // Do not advertise the framework in every response.
  poweredByHeader: false,
  // A self-contained directory (.next/standalone) with only the files the server needs, which
  // scripts/build-server.ts completes into the artefact `npm start` runs (decision 0018).
  output: 'standalone',
  reactStrictMode: true,
  // The API reference is a static page built into public/ (scripts/build-api-docs.ts): served at /api/docs before
  // the API's catch-all route is asked (decision 0021).
  async rewrites() {
    return {
      beforeFiles: [{ source: '/api/docs', destination: '/api/docs.html' }],
      afterFiles: [],
      fallback: [],
    }
  },
  // The docs' static files may be kept by a CDN in front, which then serves them without any function (decision 0024).
  async headers() {
    return Object.keys(API_DOCS_FILES).map((source) => ({
      source,
      headers: [{ key: 'Cache-Control', value: API_DOCS_CACHE_CONTROL }],
    }))
  },
  compiler: {
    // The API's documentation prose is for the document built at build time, never read by a function: defined
    // away from the server bundles, it leaves the edge functions (edge/openapi.ts, onlyInDocs; decision 0038).
    defineServer: { 'process.env.EDGELINE_API_PROSE': 'omit' },
  },
  turbopack: {
    resolveAlias: {
      // zod's JSON Schema conversion, which only the OpenAPI document's builder uses (at build time, outside Next):
      // ~4.8 KiB gzip of every edge function that holds a zod schema (decision 0041). These are the specifiers
      // zod's classic schemas import them by.
      '../core/json-schema-processors.js': './edge/build-substitutes/zod-json-schema.ts',
      '../core/to-json-schema.js': './edge/build-substitutes/zod-json-schema.ts',
    },
  },
  typescript: {
    // Type checking is its own step (`npm run typecheck`, first in CI). Inside `next build` it would check the
    // whole project again, tests included, doubling the work and letting a test's types block a deploy.
    ignoreBuildErrors: true,
  },
}

export default nextConfig
