/**
 * How requests find their routes (edge/router.ts, decision 0040): the edge functions use Hono's PatternRouter, the
 * production server Hono's default SmartRouter (RegExpRouter, then TrieRouter). The same app must answer alike
 * through either, whatever the path and method.
 */
import { RegExpRouter } from 'hono/router/reg-exp-router'
import { SmartRouter } from 'hono/router/smart-router'
import { TrieRouter } from 'hono/router/trie-router'
import { describe, expect, it } from 'vitest'
import { createApp } from '../../edge/app'
import type { ApiRouter } from '../../edge/router'
import { signTestToken, testConfig } from './support'

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const

/** Every documented path with its parameters filled in, and paths next to them that no route has. */
function pathsToTry(app: ApiRouter): string[] {
  const documented = app.definitions.map((route) =>
    `${app.basePathForDocument}${route.path === '/' ? '' : route.path}`.replace(/\{[^}]+\}/g, '999999999'),
  )
  return [
    ...new Set([
      ...documented,
      ...documented.map((path) => `${path}/`),
      ...documented.map((path) => `${path}/extra`),
      '/api',
      '/api/',
      '/api/nope',
      '/api/users/abc',
      '/api/users/999999999/invitation/extra',
      '/api//users',
    ]),
  ]
}

describe('the routers of the edge and of the production server', () => {
  it('answer every path and method alike: status, Allow and problem type', async () => {
    const config = testConfig()
    const onTheEdge = createApp(config, { log: () => {} })
    const onNode = createApp(config, {
      log: () => {},
      router: new SmartRouter({ routers: [new RegExpRouter(), new TrieRouter()] }),
    })
    // A signed-in caller who is neither an admin nor any account the paths name: no request here changes a row.
    const token = await signTestToken({ userId: '999999998', role: 'user' })
    const answers = async (app: typeof onTheEdge, method: string, path: string) => {
      const response = await app.request(path, {
        method,
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        ...(method === 'GET' || method === 'HEAD' ? {} : { body: '{}' }),
      })
      const body = method === 'HEAD' ? '' : await response.text()
      return {
        status: response.status,
        allow: response.headers.get('allow'),
        type: body.startsWith('{') ? (JSON.parse(body) as { type?: string }).type : undefined,
      }
    }
    const paths = pathsToTry(onTheEdge as unknown as ApiRouter)
    expect(paths.length).toBeGreaterThan(40)
    for (const path of paths) {
      for (const method of METHODS) {
        const edge = await answers(onTheEdge, method, path)
        expect({ method, path, ...(await answers(onNode, method, path)) }).toEqual({ method, path, ...edge })
      }
    }
  }, 60_000)

  it('answer a path with a trailing slash as the path without it, on both', async () => {
    const config = testConfig()
    const apps = [
      createApp(config, { log: () => {} }),
      createApp(config, {
        log: () => {},
        router: new SmartRouter({ routers: [new RegExpRouter(), new TrieRouter()] }),
      }),
    ]
    // The public paths are matched exactly (a trailing slash is one of the path tricks the middleware refuses):
    // `/api/hello/` needs a session, and then it is `/api/hello`.
    const headers = { Authorization: `Bearer ${await signTestToken({ userId: '999999998', role: 'user' })}` }
    for (const app of apps) {
      expect((await app.request('/api/hello/')).status).toBe(401)
      const bare = await app.request('/api/hello', { headers })
      const slashed = await app.request('/api/hello/', { headers })
      expect(slashed.status).toBe(200)
      expect(await slashed.json()).toEqual(await bare.json())
      // Still a 405 with the path's methods, and still a 404 past the last route.
      const post = await app.request('/api/hello/', { method: 'POST', headers })
      expect([post.status, post.headers.get('allow')]).toEqual([405, 'GET, HEAD'])
      expect((await app.request('/api/hello/x/', { headers })).status).toBe(404)
    }
  })

  it('never meet a header or cookie schema, which the router does not check', () => {
    const app = createApp(testConfig(), { log: () => {} }) as unknown as ApiRouter
    const declared = app.definitions.filter((route) => route.request?.headers || route.request?.cookies)
    expect(declared.map((route) => `${route.method} ${route.path}`)).toEqual([])
  })
})
