/** A name for this machine's Postgres that is not "localhost": what a remote host (RDS, your own) looks like. */
import { lookup } from 'node:dns/promises'
import { hostname } from 'node:os'

/**
 * The same connection string with its host replaced by this machine's host name when that resolves to loopback
 * (where the test Postgres listens), else by 127.0.0.1 written as one decimal number, which the resolver reads as
 * the same address but no "is it local?" test on the name recognises.
 */
export async function nonLocalAlias(databaseUrl: string): Promise<string> {
  const url = new URL(databaseUrl)
  let alias = '2130706433'
  try {
    const { address } = await lookup(hostname(), { family: 4 })
    if (address.startsWith('127.')) alias = hostname()
  } catch {
    // No name for this machine: the decimal address will do.
  }
  url.hostname = alias
  return url.toString()
}
