/** The scheduled flush of the outbox: Vercel Cron (or any scheduler) calls it with its secret. */

import * as z from 'zod'
import type { Database } from '../../db/client'
import type { MailConfig } from '../env'
import { flushOutbox } from '../mail/delivery'
import { timeDatabase } from '../middleware/server-timing'
import { documented, onlyInDocs } from '../openapi'
import { Problem } from '../problem'
import { createRoute, createRouter } from '../router'
import { problemResponse } from '../schemas/problem'

const json = <T>(schema: T) => ({ 'application/json': { schema } })

const FlushResultSchema = z
  .object({
    sent: z
      .int()
      .min(0)
      .meta(onlyInDocs(() => ({ description: 'Messages delivered by this call' }))),
    failed: z
      .int()
      .min(0)
      .meta(
        onlyInDocs(() => ({ description: 'Messages that failed this time (retried later, with a backoff)' })),
      ),
  })
  .meta(onlyInDocs(() => ({ id: 'MailFlushResult' })))

const flushRoute = createRoute({
  ...onlyInDocs(() =>
    documented({
      operationId: 'flushOutbox',
      tag: 'Service',
      summary: 'Deliver queued email',
      description:
        "For a scheduler (vercel.json's cron), not people: sends the messages that are due (new ones, and failed " +
        'ones whose backoff is over) through EMAIL_PROVIDER. Needs `Authorization: Bearer <CRON_SECRET>`. Mail is ' +
        'also sent right after each request that queues it; this catches what that missed.',
      touchesDatabase: true,
    }),
  ),
  method: 'get',
  path: '/flush',
  ...onlyInDocs(() => ({
    responses: {
      200: { description: 'What this call delivered', content: json(FlushResultSchema) },
      401: problemResponse('No CRON_SECRET is configured, or the bearer token is not it'),
    },
  })),
})

/** Compares in constant time, so the secret cannot be learnt a character at a time from answer times. */
function sameSecret(presented: string, expected: string): boolean {
  const [a, b] = [new TextEncoder().encode(presented), new TextEncoder().encode(expected)]
  let difference = a.length ^ b.length
  for (let index = 0; index < b.length; index++) difference |= (a[index] ?? 0) ^ (b[index] ?? 0)
  return difference === 0
}

export function mailRoutes(db: Database, mail: MailConfig) {
  return createRouter().openapi(flushRoute, async (c) => {
    const presented = c.req.header('authorization')?.match(/^Bearer (.+)$/)?.[1]
    if (!mail.cronSecret || !presented || !sameSecret(presented, mail.cronSecret)) {
      throw new Problem({
        status: 401,
        slug: 'unauthorized',
        title: 'Unauthorized',
        detail: 'This endpoint is for the scheduler: send Authorization: Bearer <CRON_SECRET>.',
        headers: { 'WWW-Authenticate': 'Bearer' },
      })
    }
    c.header('Cache-Control', 'no-store')
    if (!mail.delivery) return c.json({ sent: 0, failed: 0 }, 200)
    const delivery = mail.delivery
    return c.json(await timeDatabase(c, () => flushOutbox(db, delivery)), 200)
  })
}
