/**
 * Two production servers from the built artefact behind a real nginx (Debian's package), sharing the run's database
 * (issue 18): what must be global (the log-in throttle, idempotency keys, refresh tokens) is global, and each
 * server takes the client's address from the proxy (TRUST_PROXY), never from the client.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { EMBEDDED_DATABASE_URL } from '../../db/database-url'
import { announcedUrl, E2E_JWT_SECRET, PRODUCTION_SERVER } from './built-server'
import { nonLocalAlias } from './non-local-host'

/** nginx's own address, the one proxy the servers trust: the only source of their X-Forwarded-For. */
const PROXY_ADDRESS = '127.0.0.1'
const scratch = mkdtempSync(join(tmpdir(), 'edgeline-two-instances-'))
// Started by root, nginx's workers run as nobody: they must reach the temporary folders it makes in here.
chmodSync(scratch, 0o755)
const servers: ChildProcess[] = []
let nginx: ChildProcess | undefined
let proxyPort = 0

type Instance = 'a' | 'b'

interface ProxiedAnswer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
  /** The server nginx handed the request to (its `$upstream_addr`). */
  upstream: string
}

/**
 * A request through nginx, from `clientAddress` (any 127.x.y.z: Linux routes the whole block to loopback), to the
 * chosen instance. Every test client has an address of its own, so no two tests share a throttling bucket.
 */
function viaProxy(
  instance: Instance,
  clientAddress: string,
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<ProxiedAnswer> {
  const body = options.body === undefined ? undefined : JSON.stringify(options.body)
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        host: PROXY_ADDRESS,
        port: proxyPort,
        localAddress: clientAddress,
        method,
        path,
        headers: {
          'X-Test-Instance': instance,
          ...(body ? { 'Content-Type': 'application/json' } : {}),
          ...options.headers,
        },
      },
      (incoming) => {
        let text = ''
        incoming.setEncoding('utf8')
        incoming.on('data', (chunk: string) => {
          text += chunk
        })
        incoming.on('end', () =>
          resolve({
            status: incoming.statusCode ?? 0,
            headers: incoming.headers,
            body: text,
            upstream: String(incoming.headers['x-upstream'] ?? ''),
          }),
        )
      },
    )
    outgoing.on('error', reject)
    outgoing.end(body)
  })
}

/** A loopback address no other test run uses: 127.<random>.<random>.<random>, never 127.0.0.1 (the proxy's). */
function newClientAddress(): string {
  const octet = () => 2 + Math.floor(Math.random() * 250)
  return `127.${octet()}.${octet()}.${octet()}`
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number }
      probe.close(() => resolve(port))
    })
  })
}

async function startInstance(name: Instance): Promise<URL> {
  const real = inject('databaseUrl') !== EMBEDDED_DATABASE_URL
  const cwd = join(scratch, name)
  mkdirSync(cwd)
  const child = spawn('node', [resolve(PRODUCTION_SERVER), '--port', '0', '--hostname', '127.0.0.1'], {
    cwd,
    env: {
      NODE_ENV: 'production',
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: cwd,
      // Real Postgres by a name that is not "localhost" (each server runs its own gateway to it, as on two hosts);
      // the embedded database through the run's endpoint, which holds it.
      DATABASE_URL: real ? await nonLocalAlias(inject('databaseUrl')) : EMBEDDED_DATABASE_URL,
      ...(real ? {} : { SQL_GATEWAY_ENDPOINT: inject('sqlEndpoint') }),
      JWT_SECRET: E2E_JWT_SECRET,
      TRUST_PROXY: PROXY_ADDRESS,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  servers.push(child)
  return new URL(await announcedUrl(child, `${cwd} (instance ${name})`))
}

/** nginx in front of both: one server block, the instance picked by X-Test-Instance (else balanced round robin). */
function nginxConfig(a: URL, b: URL, port: number): string {
  const temp = (name: string) => `${name}_temp_path ${join(scratch, 'nginx', name)};`
  return `
daemon off;
worker_processes 1;
pid ${join(scratch, 'nginx', 'nginx.pid')};
error_log ${join(scratch, 'nginx', 'error.log')} warn;
events { worker_connections 256; }
http {
  access_log ${join(scratch, 'nginx', 'access.log')};
  ${['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(temp).join('\n  ')}
  upstream edgeline { server ${a.host}; server ${b.host}; keepalive 8; }
  map $http_x_test_instance $edgeline_upstream { a ${a.host}; b ${b.host}; default edgeline; }
  server {
    listen ${PROXY_ADDRESS}:${port};
    location / {
      proxy_pass http://$edgeline_upstream;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      add_header X-Upstream $upstream_addr always;
    }
  }
}
`
}

async function startNginx(a: URL, b: URL): Promise<void> {
  const found = spawnSync('sh', ['-c', 'command -v nginx || ls /usr/sbin/nginx'], { encoding: 'utf8' })
  const binary = found.stdout.trim().split('\n')[0]
  if (!binary) throw new Error('nginx is not installed: apt-get install nginx (.ci/run does)')
  mkdirSync(join(scratch, 'nginx'))
  proxyPort = await freePort()
  const config = join(scratch, 'nginx', 'nginx.conf')
  writeFileSync(config, nginxConfig(a, b, proxyPort))
  const errorLog = join(scratch, 'nginx', 'error.log')
  nginx = spawn(binary, ['-e', errorLog, '-p', join(scratch, 'nginx'), '-c', config], { stdio: 'ignore' })
  const deadline = Date.now() + 15_000
  while (Date.now() < deadline) {
    if (nginx.exitCode !== null) throw new Error(`nginx exited: ${readFileSync(errorLog, 'utf8')}`)
    try {
      if ((await viaProxy('a', PROXY_ADDRESS, 'GET', '/api/hello')).status === 200) return
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`nginx did not answer through to the servers in 15 s: ${readFileSync(errorLog, 'utf8')}`)
}

let upstreamOf: Record<Instance, string>

beforeAll(async () => {
  const [a, b] = await Promise.all([startInstance('a'), startInstance('b')])
  upstreamOf = { a: a.host, b: b.host }
  await startNginx(a, b)
})

afterAll(async () => {
  const exits = [nginx, ...servers]
    .filter((child): child is ChildProcess => child !== undefined && child.exitCode === null)
    .map((child) => {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      return exited
    })
  await Promise.all(exits)
  rmSync(scratch, { recursive: true, force: true })
})

function failedLogin(instance: Instance, client: string, email: string, forwardedFor?: string) {
  return viaProxy(instance, client, 'POST', '/api/auth/login', {
    body: { email, password: 'not-the-password' },
    headers: forwardedFor ? { 'X-Forwarded-For': forwardedFor } : {},
  })
}

function newEmail(label: string): string {
  return `two-${label}-${crypto.randomUUID().slice(0, 8)}@example.test`
}

describe('two instances behind nginx, one database', () => {
  it('sends each request to the instance asked for, and both answer', async () => {
    const client = newClientAddress()
    expect((await viaProxy('a', client, 'GET', '/api/health')).upstream).toBe(upstreamOf.a)
    expect((await viaProxy('b', client, 'GET', '/api/health')).upstream).toBe(upstreamOf.b)
  })

  it('counts failed log-ins for one email on both instances: the sixth is refused, wherever it lands', async () => {
    const client = newClientAddress()
    const email = newEmail('throttle')
    // Three failures on a, two on b: counted per instance, neither would have reached the limit of five.
    const statuses: number[] = []
    for (const instance of ['a', 'b', 'a', 'b', 'a'] as const) {
      statuses.push((await failedLogin(instance, client, email)).status)
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401])
    const sixth = await failedLogin('b', client, email)
    expect(sixth.upstream).toBe(upstreamOf.b)
    expect(sixth.status).toBe(429)
  })

  it('counts a client by the address nginx saw, on both instances, whatever X-Forwarded-For it sends', async () => {
    const client = newClientAddress()
    // Twenty failures for twenty emails, alternating instances, each claiming another address: one client.
    for (let attempt = 0; attempt < 20; attempt++) {
      const instance = attempt % 2 === 0 ? 'a' : 'b'
      const answer = await failedLogin(instance, client, newEmail('client'), `203.0.113.${attempt}`)
      expect(answer.status, `attempt ${attempt} on ${instance}`).toBe(401)
    }
    expect((await failedLogin('a', client, newEmail('client'), '198.51.100.1')).status).toBe(429)
    // The limit is this client's, not the proxy's: another client, through the same nginx, is not throttled.
    expect((await failedLogin('a', newClientAddress(), newEmail('client'))).status).toBe(401)
  })

  it('replays an Idempotency-Key on the other instance: the same account, not a second one', async () => {
    const client = newClientAddress()
    const signUp = {
      body: { name: 'Two Instances', email: newEmail('idempotent'), password: 'correct horse battery' },
      headers: { 'Idempotency-Key': crypto.randomUUID() },
    }
    const first = await viaProxy('a', client, 'POST', '/api/auth/signup', signUp)
    const replay = await viaProxy('b', client, 'POST', '/api/auth/signup', signUp)
    expect([first.upstream, replay.upstream]).toEqual([upstreamOf.a, upstreamOf.b])
    expect(first.status).toBe(201)
    expect(first.headers['idempotent-replayed']).toBeUndefined()
    expect(replay.status).toBe(201)
    expect(replay.headers['idempotent-replayed']).toBe('true')
    expect(replay.headers.location).toBe(first.headers.location)
    expect(JSON.parse(replay.body).user.id).toBe(JSON.parse(first.body).user.id)
  })

  it('refuses on one instance a refresh token rotated on the other, and accepts its successor there', async () => {
    const client = newClientAddress()
    const signUp = await viaProxy('a', client, 'POST', '/api/auth/signup', {
      body: { name: 'Two Instances', email: newEmail('refresh'), password: 'correct horse battery' },
    })
    expect(signUp.status).toBe(201)
    const spent = JSON.parse(signUp.body).refreshToken as string
    const rotated = await viaProxy('a', client, 'POST', '/api/auth/refresh', {
      body: { refreshToken: spent },
    })
    expect(rotated.status).toBe(200)
    const again = await viaProxy('b', client, 'POST', '/api/auth/refresh', { body: { refreshToken: spent } })
    expect(again.upstream).toBe(upstreamOf.b)
    expect(again.status).toBe(401)
    const successor = JSON.parse(rotated.body).refreshToken as string
    const next = await viaProxy('b', client, 'POST', '/api/auth/refresh', {
      body: { refreshToken: successor },
    })
    expect(next.status).toBe(200)
  })
})
