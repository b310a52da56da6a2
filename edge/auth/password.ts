/** Password hashing on the edge with Web Crypto: PBKDF2-SHA-256, per-user salt, parameters kept in the stored hash. */
import { fromBase64Url, toBase64Url } from './base64url'

/**
 * Iterations for new hashes. 100,000 is the most Cloudflare Workers' Web Crypto accepts, so hashes stay portable
 * across edge runtimes; see docs/decisions for why, and how `needsRehash` raises it on the next log-in.
 */
export const PBKDF2_ITERATIONS = 100_000
const SALT_BYTES = 16
const HASH_BITS = 256
const SCHEME = 'pbkdf2-sha256'

/** Hashes a password as `pbkdf2-sha256$<iterations>$<salt>$<hash>` (base64url), never reversible. */
export async function hashPassword(password: string, iterations = PBKDF2_ITERATIONS): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES))
  const hash = await derive(password, salt, iterations)
  return [SCHEME, iterations, toBase64Url(salt), toBase64Url(hash)].join('$')
}

/** True when `password` matches `stored`; the comparison takes the same time wherever the bytes differ. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseStoredHash(stored)
  if (!parsed) return false
  const candidate = await derive(password, parsed.salt, parsed.iterations)
  return constantTimeEqual(candidate, parsed.hash)
}

/** True when a stored hash was made with weaker parameters than today's: rehash it after a successful log-in. */
export function needsRehash(stored: string): boolean {
  const parsed = parseStoredHash(stored)
  return !parsed || parsed.iterations < PBKDF2_ITERATIONS
}

/**
 * A hash of a random password, to verify against when the email is unknown, so an unknown email costs the same
 * time as a wrong password and timing does not reveal which accounts exist.
 */
export const decoyHash = (() => {
  let decoy: Promise<string> | undefined
  return () => {
    decoy ??= hashPassword(toBase64Url(crypto.getRandomValues(new Uint8Array(16))))
    return decoy
  }
})()

async function derive(password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(password), 'PBKDF2', false, [
    'deriveBits',
  ])
  const bits = await crypto.subtle.deriveBits(
    { name: 'PBKDF2', hash: 'SHA-256', salt: salt as BufferSource, iterations },
    key,
    HASH_BITS,
  )
  return new Uint8Array(bits)
}

function parseStoredHash(stored: string): { iterations: number; salt: Uint8Array; hash: Uint8Array } | null {
  const [scheme, iterations, salt, hash] = stored.split('$')
  if (scheme !== SCHEME || !iterations || !salt || !hash || !/^\d+$/.test(iterations)) return null
  return { iterations: Number(iterations), salt: fromBase64Url(salt), hash: fromBase64Url(hash) }
}

function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  let difference = a.length ^ b.length
  for (let i = 0; i < a.length; i++) difference |= (a[i] as number) ^ (b[i % b.length] ?? 0)
  return difference === 0
}
