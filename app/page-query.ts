/** Reads a page's query string (Next gives `string | string[] | undefined` per key) as single values. */
export type PageQuery = Record<string, string | string[] | undefined>

/** The first value of `key`, or undefined. */
export function queryValue(query: PageQuery, key: string): string | undefined {
  const found = query[key]
  return Array.isArray(found) ? found[0] : found
}
