/**
 * docs/adding-a-resource.md cannot rot: its code blocks are applied to a copy of the project, and the copy must
 * generate the migration the page shows, migrate, typecheck, pass the linter and pass the example's own tests (and the
 * OpenAPI checks, which now see its routes).
 */
import { execFile } from 'node:child_process'
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { promisify } from 'node:util'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'

const run = promisify(execFile)
const GUIDE = 'docs/adding-a-resource.md'

/** A fenced block of the guide with what its info string says to do with it (`file=`, `append=`, `insert=`…). */
interface GuideBlock {
  language: string
  attributes: Record<string, string>
  code: string
}

/** Every fenced block of a Markdown text, with its `key=value` / `key="value"` attributes. */
function guideBlocks(markdown: string): GuideBlock[] {
  const blocks: GuideBlock[] = []
  for (const match of markdown.matchAll(/^```(\S*)([^\n]*)\n([\s\S]*?)^```$/gm)) {
    const attributes: Record<string, string> = {}
    for (const [, key, quoted, bare] of (match[2] ?? '').matchAll(/(\w+)=(?:"([^"]*)"|(\S+))/g)) {
      attributes[key as string] = quoted ?? bare ?? ''
    }
    blocks.push({ language: match[1] ?? '', attributes, code: match[3] ?? '' })
  }
  return blocks
}

/** Writes one block into the copy; an anchor that is missing or not unique fails, naming the block. */
function applyBlock(root: string, block: GuideBlock): string | undefined {
  const { file, append, insert, after, before } = block.attributes
  if (file) {
    mkdirSync(dirname(join(root, file)), { recursive: true })
    writeFileSync(join(root, file), block.code)
    return file
  }
  if (append) {
    writeFileSync(join(root, append), readFileSync(join(root, append), 'utf8') + block.code)
    return append
  }
  if (insert) {
    const anchor = after ?? before
    if (!anchor) throw new Error(`${GUIDE}: insert=${insert} needs after= or before=`)
    const lines = readFileSync(join(root, insert), 'utf8').split('\n')
    const at = lines.flatMap((line, index) => (line.includes(anchor) ? [index] : []))
    if (at.length !== 1) {
      throw new Error(
        `${GUIDE}: "${anchor}" is in ${at.length} lines of ${insert}, not exactly one: update the guide`,
      )
    }
    const index = (at[0] as number) + (after ? 1 : 0)
    lines.splice(index, 0, ...block.code.replace(/\n$/, '').split('\n'))
    writeFileSync(join(root, insert), lines.join('\n'))
    return insert
  }
  return undefined
}

/** Runs a command in the copy; on failure the error carries everything it printed. */
async function runIn(root: string, command: string, args: string[], env: Record<string, string> = {}) {
  try {
    return await run(command, args, {
      cwd: root,
      env: { ...process.env, npm_config_update_notifier: 'false', ...env },
      maxBuffer: 16 * 1024 * 1024,
    })
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; message: string }
    throw new Error(
      `${command} ${args.join(' ')} failed:\n${failed.stdout ?? ''}\n${failed.stderr ?? failed.message}`,
    )
  }
}

const realPostgres = process.env.TEST_DATABASE_URL

describe('docs/adding-a-resource.md, applied to a copy of the project', () => {
  const root = mkdtempSync(join(tmpdir(), 'edgeline-guide-'))
  const blocks = guideBlocks(readFileSync(GUIDE, 'utf8'))
  const touched = new Set<string>()
  let scratchDatabase: string | undefined
  let databaseUrl: string

  beforeAll(async () => {
    // The project as git sees it (tracked and new files, nothing ignored), with the installed packages linked.
    const { stdout } = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'])
    for (const file of stdout.split('\0').filter(Boolean)) {
      if (!existsSync(file)) continue
      mkdirSync(dirname(join(root, file)), { recursive: true })
      cpSync(file, join(root, file))
    }
    symlinkSync(resolve('node_modules'), join(root, 'node_modules'))
    for (const block of blocks) {
      const file = applyBlock(root, block)
      if (file) touched.add(file)
    }
    // Its own database: the example's migration must not reach the run's shared Postgres.
    if (realPostgres) {
      scratchDatabase = `edgeline_guide_${Date.now()}_${process.pid}`
      const admin = new pg.Client({ connectionString: realPostgres })
      await admin.connect()
      await admin.query(`create database ${scratchDatabase}`).finally(() => admin.end())
      const url = new URL(realPostgres)
      url.pathname = `/${scratchDatabase}`
      databaseUrl = url.toString()
    } else {
      // The run's embedded database lives only as long as this run: one more table there harms nothing.
      databaseUrl = inject('databaseUrl')
    }
  }, 60_000)

  afterAll(async () => {
    // KEEP_GUIDE_COPY=1 leaves the copy for a look at what the guide produced.
    if (!process.env.KEEP_GUIDE_COPY) rmSync(root, { recursive: true, force: true })
    else console.log(root)
    if (realPostgres && scratchDatabase) {
      const admin = new pg.Client({ connectionString: realPostgres })
      await admin.connect()
      await admin.query(`drop database if exists ${scratchDatabase} with (force)`).finally(() => admin.end())
    }
  })

  it('names the files it writes, and every one of them exists in the copy', () => {
    expect([...touched].sort()).toEqual(
      expect.arrayContaining([
        'app/notes/page.tsx',
        'db/queries/notes.ts',
        'db/schema.ts',
        'edge/app.ts',
        'edge/routes/notes.ts',
        'edge/schemas/notes.ts',
        'test/api/notes.test.ts',
      ]),
    )
  })

  it('shows the very migration `npm run db:generate` writes for its table, and `npm run db:migrate` applies it', async () => {
    await runIn(root, 'npm', ['run', 'db:generate', '--', '--name', 'add_notes'])
    const generated = readdirSync(join(root, 'db/migrations')).filter((name) =>
      name.endsWith('_add_notes.sql'),
    )
    expect(generated).toHaveLength(1)
    const shown = blocks.find((block) => block.attributes.generated === 'add_notes')
    const normalise = (sql: string) => sql.replaceAll(/[ \t]+$/gm, '').trim()
    expect(normalise(shown?.code ?? '')).toBe(
      normalise(readFileSync(join(root, 'db/migrations', generated[0] as string), 'utf8')),
    )
    const migrated = await runIn(root, 'npm', ['run', 'db:migrate'], {
      DATABASE_URL: databaseUrl,
      SQL_GATEWAY_ENDPOINT: inject('sqlEndpoint'),
    })
    expect(migrated.stdout).toContain('✓ migrations applied')
  }, 60_000)

  it("typechecks and passes the linter, as the project's own code must", async () => {
    const files = [...touched]
    // The files it wrote and what they import, and the declarations of what the tests inject: not the whole project.
    const include = [...files, 'test/global-setup.ts', 'test/workerd/global-setup.ts']
    writeFileSync(
      join(root, 'tsconfig.guide.json'),
      JSON.stringify({ extends: './tsconfig.json', compilerOptions: { incremental: false }, include }),
    )
    await runIn(root, join('node_modules', '.bin', 'tsc'), ['--noEmit', '-p', 'tsconfig.guide.json'])
    await runIn(root, join('node_modules', '.bin', 'biome'), ['check', '--vcs-enabled=false', ...files])
  }, 120_000)

  it('passes its own tests, and the OpenAPI checks with its routes in the document', async () => {
    writeFileSync(
      join(root, 'vitest.guide.config.ts'),
      [
        "import { fileURLToPath } from 'node:url'",
        "import { defineConfig } from 'vitest/config'",
        "process.env.TZ = 'UTC'",
        'export default defineConfig({',
        "  resolve: { alias: [{ find: /^@\\//, replacement: fileURLToPath(new URL('./', import.meta.url)) }] },",
        '  test: {',
        "    environment: 'edge-runtime',",
        "    include: ['test/api/notes.test.ts', 'test/api/openapi.test.ts'],",
        "    execArgv: ['--disable-warning=UNDICI-FETCH-patch'],",
        `    provide: ${JSON.stringify({ databaseUrl, sqlEndpoint: inject('sqlEndpoint') })},`,
        '  },',
        '})',
        '',
      ].join('\n'),
    )
    const { stdout } = await runIn(root, join('node_modules', '.bin', 'vitest'), [
      'run',
      '--config',
      'vitest.guide.config.ts',
      // Every check of the document but the one that counts its id parameters: the guide says to raise that count.
      '--testNamePattern',
      '^(?!.*bounds ids as the app does)',
    ])
    expect(stdout).toMatch(/Test Files\s+.*2 passed/)
  }, 120_000)
})
