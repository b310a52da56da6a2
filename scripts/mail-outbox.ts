/**
 * `npm run mail:outbox [-- --json] [--limit N] [--to ADDRESS]`: the latest messages in the outbox, newest first:
 * where account email waits when no EMAIL_PROVIDER is set (local development, tests), and its delivery record
 * otherwise. `--json` prints one JSON object per line ({ id, to, subject, text, kind, createdAt, sentAt, … }).
 */
import { parseArgs } from 'node:util'
import { latestMessages, type QueuedMessage } from '../db/queries/outbox'
import { exitWithCause, openScriptDatabase } from './lib/script-database'

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    limit: { type: 'string', default: '10' },
    to: { type: 'string' },
  },
})

function asText(message: QueuedMessage): string {
  const state = message.sentAt
    ? `sent ${message.sentAt}`
    : `not sent${message.lastError ? ` (${message.attempts} attempt(s); last: ${message.lastError})` : ''}`
  return [
    `── #${message.id}  ${message.createdAt}  ${message.kind}  ${state}`,
    `To:      ${message.to}`,
    `Subject: ${message.subject}`,
    '',
    message.text ?? '(body dropped once sent: it may have held a live link)',
    '',
  ].join('\n')
}

async function main(): Promise<void> {
  const limit = Number(values.limit)
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new Error('--limit must be 1 to 1000')
  const database = await openScriptDatabase()
  try {
    const messages = await latestMessages(database.db, { limit, ...(values.to ? { to: values.to } : {}) })
    if (values.json) {
      for (const message of messages) process.stdout.write(`${JSON.stringify(message)}\n`)
    } else if (messages.length === 0) {
      console.log(`The outbox of ${database.described} is empty.`)
    } else {
      console.log(messages.map(asText).join('\n'))
    }
  } finally {
    await database.close()
  }
}

main().catch(exitWithCause)
