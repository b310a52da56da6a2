/** Refresh tokens: 256 random bits for the client, their SHA-256 for the database, nothing else anywhere. */
import { toBase64Url } from './base64url'

/** A new opaque refresh token (43 base64url characters). */
export function newRefreshToken(): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(32)))
}

/**
 * The stored form. A fast hash is right here (unlike passwords): the token has 256 bits of entropy, so there is
 * nothing to brute-force, and a leaked table holds nothing a client could present.
 */
export async function hashRefreshToken(token: string): Promise<string> {
  return sha256(token)
}

/** True when text could be a token we issued; anything else is refused without a database round trip. */
export function isWellFormedRefreshToken(token: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(token)
}

export async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))
  return toBase64Url(new Uint8Array(digest))
}
