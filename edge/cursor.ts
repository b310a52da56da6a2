/** The opaque pagination cursor: clients pass it back unchanged; only this module knows what is inside. */

const VERSION = 'v1'

/** Encodes a keyset position (the last id of a page) as a URL-safe token. */
export function encodeCursor(afterId: number): string {
  return btoa(`${VERSION}:${afterId}`).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

/**
 * Decodes a cursor, or returns undefined for anything this version did not produce. The version prefix lets the
 * ordering change later (say, to created_at) while old cursors are rejected cleanly rather than misread.
 */
export function decodeCursor(cursor: string): number | undefined {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(cursor)) return undefined
  let text: string
  try {
    text = atob(cursor.replace(/-/g, '+').replace(/_/g, '/'))
  } catch {
    return undefined
  }
  const match = /^v1:([1-9][0-9]{0,9})$/.exec(text)
  if (!match?.[1]) return undefined
  const afterId = Number(match[1])
  return afterId <= 2_147_483_647 ? afterId : undefined
}
