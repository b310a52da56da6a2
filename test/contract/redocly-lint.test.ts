/**
 * The document the app serves passes Redocly's recommended rules (redocly.yaml: every waived rule says why).
 * Node environment: it runs `redocly lint` as a child process on the served document, saved to a temporary file.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { openApiDocument } from '../../edge/openapi-document'
import { createTestApp } from '../api/support'

const REDOCLY = join('node_modules', '.bin', 'redocly')
const folder = mkdtempSync(join(tmpdir(), 'edgeline-redocly-'))

afterAll(() => rmSync(folder, { recursive: true, force: true }))

interface LintProblem {
  ruleId: string
  severity: 'error' | 'warn'
  message: string
  location: { pointer: string }[]
}

/** Lints `document` with the repository's redocly.yaml; one line per problem: severity, rule, where, what. */
async function lint(document: unknown, name: string): Promise<string[]> {
  const file = join(folder, `${name}.json`)
  writeFileSync(file, JSON.stringify(document, null, 2))
  const stdout = await new Promise<string>((resolve, reject) => {
    // Exit code 1 means "problems found": the JSON report on stdout says which.
    execFile(
      REDOCLY,
      ['lint', file, '--config', 'redocly.yaml', '--format', 'json'],
      { env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' } },
      (error, out, stderr) => {
        if (error && error.code !== 1) reject(new Error(`redocly lint failed: ${stderr}`))
        else resolve(out)
      },
    )
  })
  const report = JSON.parse(stdout) as { problems: LintProblem[] }
  return report.problems.map(
    (problem) =>
      `${problem.severity} ${problem.ruleId} ${problem.location[0]?.pointer ?? ''}: ${problem.message}`,
  )
}

/** The document built into public/ and served at /api/openapi.json (the contract test below checks they agree). */
async function servedDocument(): Promise<Record<string, unknown>> {
  const { app } = createTestApp()
  return openApiDocument(app) as unknown as Record<string, unknown>
}

describe("Redocly's recommended rules", () => {
  it('find no error and no warning in the served document', async () => {
    expect(await lint(await servedDocument(), 'served')).toEqual([])
  }, 60_000)

  it('are really applied: an operation without a summary or an operationId is reported', async () => {
    const document = await servedDocument()
    const paths = document.paths as Record<string, Record<string, Record<string, unknown>>>
    const listUsers = paths['/api/users']?.get
    expect(listUsers).toBeDefined()
    delete listUsers?.summary
    delete listUsers?.operationId
    const problems = await lint(document, 'broken')
    expect(problems).toEqual([
      expect.stringMatching(/^error operation-summary #\/paths\/~1api~1users\/get/),
      expect.stringMatching(/^warn operation-operationId #\/paths\/~1api~1users\/get/),
    ])
  }, 60_000)
})
