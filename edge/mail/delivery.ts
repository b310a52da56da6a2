/**
 * Delivers the outbox through an email provider's HTTP API with `fetch` (so on every runtime): claims due messages
 * (no two senders get the same one), sends each, marks it sent (its body dropped) or failed with a growing backoff.
 * Resend also gets an Idempotency-Key per message, so a send retried after a lost answer is not sent twice.
 */
import type { Database } from '../../db/client'
import {
  claimDueMessages,
  markMessageFailed,
  markMessageSent,
  type QueuedMessage,
} from '../../db/queries/outbox'
import type { EmailProvider } from '../env'

export interface DeliverySettings {
  provider: EmailProvider
  apiKey: string
  from: string
  /** The provider's API origin; its public one unless set (EMAIL_API_URL: another region, or a test stand-in). */
  apiUrl?: string | undefined
  /**
   * Only messages to addresses matching this LIKE pattern (never set from the environment): lets a test deliver its
   * own messages in a database other tests share, without taking theirs.
   */
  addressLike?: string | undefined
}

/** Each provider's documented request for one plain-text message. */
const PROVIDERS: Record<
  EmailProvider,
  {
    origin: string
    request(
      settings: DeliverySettings,
      message: QueuedMessage & { text: string },
    ): RequestInit & { path: string }
  }
> = {
  // https://resend.com/docs/api-reference/emails/send-email
  resend: {
    origin: 'https://api.resend.com',
    request: (settings, message) => ({
      path: '/emails',
      method: 'POST',
      headers: {
        Authorization: `Bearer ${settings.apiKey}`,
        'Content-Type': 'application/json',
        'Idempotency-Key': `edgeline-outbox/${message.id}`,
      },
      body: JSON.stringify({
        from: settings.from,
        to: [message.to],
        subject: message.subject,
        text: message.text,
      }),
    }),
  },
  // https://postmarkapp.com/developer/user-guide/send-email-with-api
  postmark: {
    origin: 'https://api.postmarkapp.com',
    request: (settings, message) => ({
      path: '/email',
      method: 'POST',
      headers: {
        Accept: 'application/json',
        'Content-Type': 'application/json',
        'X-Postmark-Server-Token': settings.apiKey,
      },
      body: JSON.stringify({
        From: settings.from,
        To: message.to,
        Subject: message.subject,
        TextBody: message.text,
        MessageStream: 'outbound',
      }),
    }),
  },
}

/** Tries per message before it is left for an operator (`npm run mail:outbox` shows its last error). */
export const MAX_DELIVERY_ATTEMPTS = 8
/** How long a claim holds: past it, a sender that died is presumed gone and another may try. */
const CLAIM_SECONDS = 60
const SEND_TIMEOUT_MS = 10_000

/** 30 s, 1 min, 2 min, … capped at an hour: a provider's outage is waited out, not hammered. */
export function backoffSeconds(attempt: number): number {
  return Math.min(3600, 30 * 2 ** Math.max(0, attempt - 1))
}

export interface FlushResult {
  sent: number
  failed: number
}

/** Sends what is due, up to `limit` messages; never throws for a message that failed (it is marked and retried). */
export async function flushOutbox(
  db: Database,
  settings: DeliverySettings,
  options: { limit?: number; fetch?: typeof fetch } = {},
): Promise<FlushResult> {
  const send = options.fetch ?? fetch
  const claimed = await claimDueMessages(db, {
    limit: options.limit ?? 20,
    claimSeconds: CLAIM_SECONDS,
    maxAttempts: MAX_DELIVERY_ATTEMPTS,
    ...(settings.addressLike ? { addressLike: settings.addressLike } : {}),
  })
  const provider = PROVIDERS[settings.provider]
  const outcomes = await Promise.all(
    claimed.map(async (message) => {
      // A claimed message always has its body (only sent ones lose it); guard anyway rather than send nothing.
      if (message.text === null) return markMessageSent(db, message.id, message.attempts).then(() => true)
      const { path, ...init } = provider.request(settings, { ...message, text: message.text })
      try {
        const response = await send(new URL(path, settings.apiUrl ?? provider.origin), {
          ...init,
          signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
        })
        if (!response.ok)
          throw new Error(
            `${settings.provider} answered ${response.status}: ${(await response.text()).slice(0, 200)}`,
          )
        await response.body?.cancel()
        await markMessageSent(db, message.id, message.attempts)
        return true
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error)
        await markMessageFailed(db, message.id, message.attempts, reason, backoffSeconds(message.attempts))
        return false
      }
    }),
  )
  const sent = outcomes.filter(Boolean).length
  return { sent, failed: outcomes.length - sent }
}
