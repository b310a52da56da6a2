/** The opaque pagination cursor: clients pass it back unchanged; only this module knows what is inside. */

const VERSION = 'v1'

/** A keyset position: the users after an id (the next page) or before it (the previous page), in id order. */
export interface KeysetPosition {
  direction: 'after' | 'before'
  id: number
}

/**
 * Encodes a keyset position as a URL-safe token: `v1:<id>` after an id (the form cursors always had, so those
 * issued before the previous page existed still work), `v1:b<id>` before one.
 */
export function encodeCursor(position: KeysetPosition): string {
  const text = `${VERSION}:${position.direction === 'before' ? 'b' : ''}${position.id}`
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

/**
 * Decodes a cursor, or returns undefined for anything this version did not produce. The version prefix lets the
 * ordering change later (say, to created_at) while old cursors are rejected cleanly rather than misread.
 */
export function decodeCursor(cursor: string): KeysetPosition | undefined {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(cursor)) return undefined
  let text: string
  try {
    text = atob(cursor.replace(/-/g, '+').replace(/_/g, '/'))
  } catch {
    return undefined
  }
  const match = /^v1:(b?)([1-9][0-9]{0,9})$/.exec(text)
  if (!match?.[2]) return undefined
  const id = Number(match[2])
  if (id > 2_147_483_647) return undefined
  return { direction: match[1] === 'b' ? 'before' : 'after', id }
}
