/**
 * `npm run bench:reset`: how long `POST /api/auth/password-reset` takes for an address that has an account and for
 * one that has none, interleaved, against DATABASE_URL (the embedded database through `npm run dev`'s gateway when
 * unset): the two medians should be alike, since the answer must not tell them apart (decision 0031).
 */
import { upsertAccount } from '../db/queries/accounts'
import { createApp } from '../edge/app'
import { hashPassword } from '../edge/auth/password'
import { parseConfig } from '../edge/env'
import { median } from './lib/median'
import { exitWithCause, openScriptDatabase } from './lib/script-database'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 200)

async function main(): Promise<void> {
  const database = await openScriptDatabase()
  try {
    // A throttle no benchmark reaches: every request must do the whole work.
    const config = parseConfig({ JWT_SECRET: 'bench-reset-secret-of-at-least-thirty-two-bytes' })
    const loginThrottle = {
      maxFailuresPerEmail: 1_000_000,
      maxFailuresPerClient: 1_000_000,
      windowSeconds: 60,
    }
    const app = createApp(
      { ...config, auth: { ...config.auth, loginThrottle } },
      { db: database.db, log: () => {} },
    )
    const tag = crypto.randomUUID().slice(0, 8)
    const existing = `bench-reset-${tag}@example.test`
    await upsertAccount(database.db, {
      name: 'Bench',
      email: existing,
      passwordHash: await hashPassword('x'),
      role: 'user',
    })
    const ask = async (email: string) => {
      const started = performance.now()
      const response = await app.request('/api/auth/password-reset', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email }),
      })
      await response.arrayBuffer()
      if (response.status !== 202) throw new Error(`answered ${response.status}`)
      return performance.now() - started
    }
    for (let warm = 0; warm < 20; warm++) await ask(existing)
    const times = { existing: [] as number[], unknown: [] as number[] }
    for (let round = 0; round < ROUNDS; round++) {
      times.existing.push(await ask(existing))
      times.unknown.push(await ask(`bench-nobody-${tag}-${round}@example.test`))
    }
    const [a, b] = [median(times.existing), median(times.unknown)]
    console.log(`password-reset request, ${ROUNDS} rounds against ${database.described}`)
    console.log(`  account exists   median ${a.toFixed(2)} ms`)
    console.log(`  no such account  median ${b.toFixed(2)} ms`)
    console.log(`  ratio            ${(a / b).toFixed(3)}`)
  } finally {
    await database.close()
  }
}

main().catch(exitWithCause)
