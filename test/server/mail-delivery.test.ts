/**
 * Delivery of the outbox through a local stand-in of each provider's API: the documented request shapes, sent once
 * each even when several senders run at once, retried with a backoff after a failure, started right after the
 * response that queued it, and flushable by the scheduler's route with its secret.
 */
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createDatabase } from '../../db/client'
import { latestMessages } from '../../db/queries/outbox'
import { outbox } from '../../db/schema'
import { createApp } from '../../edge/app'
import { parseConfig } from '../../edge/env'
import { backoffSeconds, type DeliverySettings, flushOutbox } from '../../edge/mail/delivery'
import {
  type EmailProviderStandIn,
  STAND_IN_API_KEY,
  startEmailProviderStandIn,
} from '../support/email-provider'

const db = createDatabase({ databaseUrl: inject('databaseUrl'), sqlGatewayEndpoint: inject('sqlEndpoint') })
let standIn: EmailProviderStandIn
beforeAll(async () => {
  standIn = await startEmailProviderStandIn()
})
afterAll(() => standIn.close())

/** A domain of this test's own, so its flushes never take another test's messages from the shared outbox. */
function scope() {
  const domain = `${crypto.randomUUID().slice(0, 8)}.delivery.test`
  return { domain, addressLike: `%@${domain}` }
}

function settingsFor(provider: DeliverySettings['provider'], addressLike: string): DeliverySettings {
  return {
    provider,
    apiKey: STAND_IN_API_KEY,
    from: 'Edgeline <no-reply@example.test>',
    apiUrl: standIn.url,
    addressLike,
  }
}

async function queue(domain: string, count: number) {
  const rows = Array.from({ length: count }, (_, index) => ({
    toAddress: `person${index}@${domain}`,
    subject: `Message ${index}`,
    body: `Body ${index} https://app.example.test/reset-password?token=x`,
    kind: 'test',
  }))
  await db.insert(outbox).values(rows)
  return rows
}

const receivedFor = (domain: string) =>
  standIn.received.filter((request) => JSON.stringify(request.body).includes(`@${domain}`))

describe('delivery through the providers', () => {
  it("sends Resend's documented request, with an idempotency key per message, and drops the body once sent", async () => {
    const { domain, addressLike } = scope()
    await queue(domain, 1)
    expect(await flushOutbox(db, settingsFor('resend', addressLike))).toEqual({ sent: 1, failed: 0 })
    const [request] = receivedFor(domain)
    expect(request).toMatchObject({ method: 'POST', path: '/emails' })
    expect(request?.headers.authorization).toBe(`Bearer ${STAND_IN_API_KEY}`)
    expect(request?.headers['idempotency-key']).toMatch(/^edgeline-outbox\/\d+$/)
    expect(request?.body).toEqual({
      from: 'Edgeline <no-reply@example.test>',
      to: [`person0@${domain}`],
      subject: 'Message 0',
      text: 'Body 0 https://app.example.test/reset-password?token=x',
    })
    const [stored] = await latestMessages(db, { limit: 1, to: `person0@${domain}` })
    expect(stored?.sentAt).not.toBeNull()
    expect(stored?.text).toBeNull()
  })

  it("sends Postmark's documented request", async () => {
    const { domain, addressLike } = scope()
    await queue(domain, 1)
    expect(await flushOutbox(db, settingsFor('postmark', addressLike))).toEqual({ sent: 1, failed: 0 })
    const [request] = receivedFor(domain)
    expect(request).toMatchObject({ method: 'POST', path: '/email' })
    expect(request?.headers['x-postmark-server-token']).toBe(STAND_IN_API_KEY)
    expect(request?.headers.accept).toBe('application/json')
    expect(request?.body).toEqual({
      From: 'Edgeline <no-reply@example.test>',
      To: `person0@${domain}`,
      Subject: 'Message 0',
      TextBody: 'Body 0 https://app.example.test/reset-password?token=x',
      MessageStream: 'outbound',
    })
  })

  it('never sends a message twice, however many senders run at once', async () => {
    const { domain, addressLike } = scope()
    await queue(domain, 12)
    const settings = settingsFor('resend', addressLike)
    const results = await Promise.all(Array.from({ length: 4 }, () => flushOutbox(db, settings)))
    expect(results.reduce((sum, result) => sum + result.sent, 0)).toBe(12)
    expect(await flushOutbox(db, settings)).toEqual({ sent: 0, failed: 0 })
    const recipients = receivedFor(domain).map((request) => (request.body.to as string[])[0])
    expect(recipients).toHaveLength(12)
    expect(new Set(recipients).size).toBe(12)
  })

  it('retries a failed send after a growing backoff, keeping the error for the operator', async () => {
    const { domain, addressLike } = scope()
    await queue(domain, 1)
    const settings = settingsFor('postmark', addressLike)
    standIn.failNext(1, 503)
    expect(await flushOutbox(db, settings)).toEqual({ sent: 0, failed: 1 })
    const [failed] = await latestMessages(db, { limit: 1, to: `person0@${domain}` })
    expect(failed).toMatchObject({ attempts: 1, sentAt: null })
    expect(failed?.lastError).toContain('postmark answered 503')
    // Not due again before its backoff is over.
    expect(await flushOutbox(db, settings)).toEqual({ sent: 0, failed: 0 })
    await db.execute(sql`update outbox set next_attempt_at = now() where to_address = ${`person0@${domain}`}`)
    expect(await flushOutbox(db, settings)).toEqual({ sent: 1, failed: 0 })
    expect(receivedFor(domain)).toHaveLength(1)
    expect([1, 2, 3, 10].map(backoffSeconds)).toEqual([30, 60, 120, 3600])
  })
})

describe('delivery by the app', () => {
  const CRON_SECRET = 'a cron secret of at least sixteen bytes'
  function appFor(addressLike: string) {
    const config = parseConfig({
      JWT_SECRET: 'edgeline-test-secret-at-least-thirty-two-bytes',
      DATABASE_URL: inject('databaseUrl'),
      SQL_GATEWAY_ENDPOINT: inject('sqlEndpoint'),
      APP_ORIGIN: 'https://app.example.test',
      CRON_SECRET,
    })
    const mail = { ...config.mail, delivery: settingsFor('resend', addressLike) }
    return createApp({ ...config, mail }, { db, log: () => {} })
  }

  it('sends what a request queued right after its answer, without waiting for the scheduler', async () => {
    const { domain, addressLike } = scope()
    const app = appFor(addressLike)
    const email = `someone@${domain}`
    await db.execute(sql`insert into users (name, email, password_hash) values ('Someone', ${email}, 'x')`)
    const response = await app.request('/api/auth/password-reset', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email }),
    })
    expect(response.status).toBe(202)
    await expect.poll(() => receivedFor(domain).length, { timeout: 5000 }).toBe(1)
    const [request] = receivedFor(domain)
    expect(request?.body.text).toContain('https://app.example.test/reset-password?token=')
  })

  it('flushes on the scheduler’s call with its secret, and refuses any other', async () => {
    const { domain, addressLike } = scope()
    const app = appFor(addressLike)
    await queue(domain, 2)
    const flush = (authorization?: string) =>
      app.request('/api/mail/flush', authorization ? { headers: { authorization } } : {})
    expect((await flush()).status).toBe(401)
    expect((await flush('Bearer not the secret')).status).toBe(401)
    const response = await flush(`Bearer ${CRON_SECRET}`)
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ sent: 2, failed: 0 })
    expect(receivedFor(domain)).toHaveLength(2)
  })
})
