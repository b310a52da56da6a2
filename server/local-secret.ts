/** The token secret `npm run dev` and `npm start` make for a local database: random, per machine, kept in `.data/`. */
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'

/** Beside the embedded data and git-ignored like it, so sessions survive restarts. */
export const LOCAL_SECRET_FILE = '.data/jwt-secret'

export function readOrCreateLocalSecret(file = LOCAL_SECRET_FILE): string {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim()
  mkdirSync(dirname(file), { recursive: true })
  const secret = randomBytes(48).toString('base64url')
  writeFileSync(file, `${secret}\n`, { mode: 0o600 })
  console.log(`✓ made a token secret for this machine in ${file} (set JWT_SECRET to choose your own)`)
  return secret
}
