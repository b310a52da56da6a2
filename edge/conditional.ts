/** Conditional requests (RFC 9110 §8.8.3, §13): strong ETags from a row's version, If-None-Match and If-Match. */
/** A version as its entity tag: quoted, strong (the representation is a function of the row at that version). */
export function entityTagOf(version: number): string {
  return `"${version}"`
}

interface EntityTag {
  weak: boolean
  opaque: string
}

/** `*`, or the entity tags of an If-Match / If-None-Match list (RFC 9110 §8.8.3); malformed members are skipped. */
function parseEntityTags(header: string): '*' | EntityTag[] {
  if (header.trim() === '*') return '*'
  const tags: EntityTag[] = []
  // entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE, where etagc excludes DQUOTE, so a tag ends at the next quote.
  for (const match of header.matchAll(/(W\/)?"([^"]*)"/g)) {
    tags.push({ weak: match[1] !== undefined, opaque: match[2] ?? '' })
  }
  return tags
}

/** The version an opaque tag names, when it is one of ours: a positive integer in the column's range. */
function versionOf(opaque: string): number | undefined {
  if (!/^[1-9][0-9]{0,9}$/.test(opaque)) return undefined
  const version = Number(opaque)
  return version <= 2_147_483_647 ? version : undefined
}

/**
 * The versions an `If-Match` header allows a write on: undefined when there is no condition (no header, or `*`,
 * which only asks that the resource exist: a missing one is a 404 anyway). Strong comparison (§13.1.1), so weak
 * tags never match; a header with no tag of ours gives an empty list, which no version matches (412).
 */
export function versionsAllowedByIfMatch(header: string | undefined): number[] | undefined {
  if (header === undefined) return undefined
  const tags = parseEntityTags(header)
  if (tags === '*') return undefined
  return tags.flatMap((tag) => {
    const version = tag.weak ? undefined : versionOf(tag.opaque)
    return version === undefined ? [] : [version]
  })
}

/** True when `If-None-Match` names the current version (weak comparison, §13.1.2) or is `*`: answer 304. */
export function ifNoneMatchHolds(header: string | undefined, currentVersion: number): boolean {
  if (header === undefined) return false
  const tags = parseEntityTags(header)
  return tags === '*' || tags.some((tag) => versionOf(tag.opaque) === currentVersion)
}

/**
 * Responses that carry an ETag are revalidated before every reuse, and only by the caller's own cache: the data
 * is per deployment and behind a session, and an ETag is cheap to check (one primary-key read).
 */
export const REVALIDATE_PRIVATELY = 'private, no-cache'

// Documented as plain OpenAPI parameters, not validated request headers: any text is a usable value (malformed tags
// simply match nothing), and a validated header would make the typed client (`hc<AppType>`) demand one on every call.

/** The `If-Match` request header of a conditional write, for a route's `parameters`. */
export const ifMatchParameter = {
  name: 'If-Match',
  in: 'header' as const,
  required: false,
  description:
    'Write only if the user is still at this version: the ETag of your last read or write. A stale one is a 412 ' +
    '(and nothing is written); a missing user is a 404 whatever the tag; `*` only asks that the user exist.',
  schema: { type: 'string' as const, example: '"3"' },
}

/** The `If-None-Match` request header of a conditional read, for a route's `parameters`. */
export const ifNoneMatchParameter = {
  name: 'If-None-Match',
  in: 'header' as const,
  required: false,
  description: 'The ETag of your cached copy: 304 without a body when it is still current.',
  schema: { type: 'string' as const, example: '"3"' },
}

/** The ETag response header, for a route's `responses[status].headers`. */
export const etagResponseHeader = {
  ETag: {
    description: "The user's version, for If-None-Match (reads) and If-Match (writes)",
    schema: { type: 'string' as const, example: '"3"' },
  },
}
