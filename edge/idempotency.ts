/**
 * `Idempotency-Key` (IETF httpapi draft, as Stripe's API): reading the header, fingerprinting a request, the
 * replay marker and the OpenAPI parameter. The SQL is in db/queries/idempotency.ts; decision 0016 says why.
 */
import type { Context } from 'hono'
import type { IdempotentRequest } from '../db/queries/idempotency'
import { toBase64Url } from './auth/base64url'
import type { AppEnv } from './context'
import { problems } from './problem'

/** Set to `true` on an answer that is the stored answer of an earlier request with the same key. */
export const REPLAYED_HEADER = 'Idempotent-Replayed'

/** Longest key accepted: room for any UUID or ULID with a prefix, short enough to index cheaply. */
const MAX_KEY_LENGTH = 255

/**
 * The request's idempotency key, or undefined without the header. The draft sends it as a structured-field string
 * (`"8e03978e-…"`), Stripe's clients bare: both are accepted and mean the same key. Anything but 1 to 255 visible
 * ASCII characters is a 400, before any round trip.
 */
export function idempotencyKeyOf(c: Context<AppEnv>): string | undefined {
  const header = c.req.header('Idempotency-Key')
  if (header === undefined) return undefined
  const trimmed = header.trim()
  const key = /^"[^"]*"$/.test(trimmed) ? trimmed.slice(1, -1) : trimmed
  if (key.length === 0 || key.length > MAX_KEY_LENGTH || !/^[\x21-\x7e]+$/.test(key)) {
    throw problems.invalidIdempotencyKey(MAX_KEY_LENGTH)
  }
  return key
}

/**
 * JSON with object keys sorted at every depth: the same request gives the same text whatever order or spacing
 * the client used (callers pass the validated body, so trimming and defaults are already applied).
 */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, member]) => member !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([name, member]) => `${JSON.stringify(name)}:${canonicalJson(member)}`).join(',')}}`
  }
  return JSON.stringify(value) ?? 'null'
}

/**
 * The fingerprint of a request: SHA-256 of its method, path and canonical body; HMAC-SHA256 under `secret` when
 * the body holds a secret of the client's (a sign-up's password), so a leaked table is no fast-hash dictionary.
 */
export async function fingerprintOf(
  request: { method: string; path: string; body: unknown },
  secret?: string,
): Promise<string> {
  const text = new TextEncoder().encode(canonicalJson([request.method, request.path, request.body]))
  if (secret === undefined) return toBase64Url(new Uint8Array(await crypto.subtle.digest('SHA-256', text)))
  const key = await crypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(`edgeline idempotency fingerprint\u0000${secret}`),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  )
  return toBase64Url(new Uint8Array(await crypto.subtle.sign('HMAC', key, text)))
}

/** The claim a create makes on its key: the caller's scope, the key, the request's fingerprint, a fresh claim id. */
export async function idempotentRequest(
  scope: string,
  key: string,
  request: { method: string; path: string; body: unknown },
  secret?: string,
): Promise<IdempotentRequest> {
  return { scope, key, fingerprint: await fingerprintOf(request, secret), claim: crypto.randomUUID() }
}

/** The `Idempotency-Key` request header, for a route's `parameters`. */
export const idempotencyKeyParameter = {
  name: 'Idempotency-Key',
  in: 'header' as const,
  required: false,
  description:
    'A unique value per create (a UUID), to retry safely: within 24 h, a retry with the same key and body gets ' +
    'the first answer (marked `Idempotent-Replayed: true`) and creates nothing; the same key with another body is ' +
    'a 422, and one arriving while the first has not stored its answer a 409. 1 to 255 visible ASCII characters.',
  schema: { type: 'string' as const, example: '8e03978e-40d5-43e8-bc93-6894a57f9324' },
}

/** The `Idempotent-Replayed` response header, for a route's `responses[status].headers`. */
export const replayedResponseHeader = {
  [REPLAYED_HEADER]: {
    description: '`true` when this is the stored answer to an earlier request with the same Idempotency-Key',
    schema: { type: 'string' as const, enum: ['true'] },
  },
}
