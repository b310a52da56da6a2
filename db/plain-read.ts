/** Which statements may be sent again after a lost answer: one rule for the driver's side and the gateway's. Edge-safe. */

/**
 * A SELECT that takes no row locks: running it twice changes nothing, so a request whose answer was lost on the
 * way (a reset connection, a dead pooled connection) may be run once more.
 */
export function isPlainRead(sqlText: string): boolean {
  return /^\s*select\b/i.test(sqlText) && !/\bfor\s+(no\s+key\s+)?(update|share)\b/i.test(sqlText)
}
