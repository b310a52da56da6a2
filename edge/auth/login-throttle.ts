/** Which throttling buckets a log-in attempt falls into: its email, and its client address when one is known. */
import type { LoginThrottleConfig } from '../env'
import { sha256 } from './refresh-tokens'

export interface LoginBuckets {
  email: string
  client: string | undefined
}

/**
 * The client's address as the platform reports it: the first `x-forwarded-for` entry (Vercel and most proxies
 * overwrite that header, so a client cannot pick it there), else `x-real-ip`. Undefined when neither is present:
 * every such request would otherwise share one bucket that anyone could fill to lock everyone out.
 */
export function clientAddress(headers: Headers): string | undefined {
  const forwarded = headers.get('x-forwarded-for')?.split(',')[0]?.trim()
  const address = forwarded || headers.get('x-real-ip')?.trim()
  return address ? address.slice(0, 100).toLowerCase() : undefined
}

/**
 * Bucket keys are hashes, so the failures table holds neither email addresses nor IP addresses. The email's is
 * also computed in SQL from a stored email (`emailBucketOf` in db/queries/accounts.ts): change both or neither.
 */
export async function loginBuckets(email: string, headers: Headers): Promise<LoginBuckets> {
  return { email: await sha256(`email:${email.trim().toLowerCase()}`), client: await clientBucket(headers) }
}

/** The client's bucket alone, when its address is known. */
export async function clientBucket(headers: Headers): Promise<string | undefined> {
  const address = clientAddress(headers)
  return address === undefined ? undefined : sha256(`client:${address}`)
}

/** The buckets with their limits, as the throttling query takes them. */
export function bucketLimits(buckets: LoginBuckets, config: LoginThrottleConfig) {
  return [
    { bucket: buckets.email, maxAttempts: config.maxFailuresPerEmail },
    ...(buckets.client ? [{ bucket: buckets.client, maxAttempts: config.maxFailuresPerClient }] : []),
  ]
}
