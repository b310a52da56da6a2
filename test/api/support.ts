/** Shared helpers for the API tests: an app wired to the run's local endpoint, unique data, request shorthands. */
import { inject } from 'vitest'
import type { Database } from '../../db/client'
import { createApp } from '../../edge/app'
import type { AppConfig } from '../../edge/env'
import type { AccessLogEntry } from '../../edge/middleware/access-log'

/** The configuration every test app starts from: the database and endpoint that global setup prepared. */
export function testConfig(overrides: Partial<AppConfig> = {}): AppConfig {
  return {
    databaseUrl: inject('databaseUrl'),
    localSqlEndpoint: inject('sqlEndpoint'),
    corsOrigins: [],
    ...overrides,
  }
}

/** A fresh app whose access log is captured instead of printed. */
export function createTestApp(options: { config?: Partial<AppConfig>; db?: Database } = {}) {
  const logs: AccessLogEntry[] = []
  const app = createApp(testConfig(options.config), {
    log: (entry) => logs.push(entry),
    ...(options.db ? { db: options.db } : {}),
  })
  return { app, logs }
}

/**
 * A token no other test (or earlier run against a shared Postgres) can have used; tests put it in names and
 * emails so they can find exactly their own rows with `?q=`.
 */
export function uniqueTag(label = 't'): string {
  return `${label}${crypto.randomUUID().replaceAll('-', '').slice(0, 16)}`
}

export function uniqueEmail(label = 'user'): string {
  return `${uniqueTag(label)}@example.test`
}

export function jsonInit(method: string, body: unknown, headers: Record<string, string> = {}): RequestInit {
  return {
    method,
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  }
}

export interface UserBody {
  id: number
  name: string
  email: string
  createdAt: string
  updatedAt: string
}

export interface ProblemBody {
  type: string
  title: string
  status: number
  detail: string
  instance: string
  requestId: string
  errors?: { field: string; in: string; detail: string; pointer?: string }[]
}

type AppLike = ReturnType<typeof createApp>

/** Creates a user through the API and returns it, failing loudly if the API refuses. */
export async function createUserViaApi(
  app: AppLike,
  input: { name: string; email: string },
): Promise<UserBody> {
  const response = await app.request('/api/users', jsonInit('POST', input))
  if (response.status !== 201)
    throw new Error(`POST /api/users answered ${response.status}: ${await response.text()}`)
  return (await response.json()) as UserBody
}
