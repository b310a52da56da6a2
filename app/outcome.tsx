/** The outcome of the last form post on a page: shown only when its seal opens (edge/pages/outcome-seal.ts). */
import { headers } from 'next/headers'
import { viewerOf } from '@/edge/pages/form-kit'
import type { Outcome } from '@/edge/pages/outcome-seal'
import { outcomeSeal } from '@/edge/pages/seal'
import type { PageQuery } from './page-query'

/** The notice, error and field errors sealed for this page and this viewer; empty otherwise. */
export async function readOutcome(query: PageQuery, page: string): Promise<Outcome> {
  const params = new URLSearchParams()
  for (const [name, value] of Object.entries(query)) {
    for (const each of Array.isArray(value) ? value : value === undefined ? [] : [value])
      params.append(name, each)
  }
  return outcomeSeal.open(params, page, viewerOf(await headers()))
}

export function OutcomeMessage({ outcome }: { outcome: Outcome }) {
  if (outcome.error) {
    return (
      <p role="alert" id="form-error">
        {outcome.error}
      </p>
    )
  }
  return outcome.notice ? (
    <p role="status" id="form-notice" className="notice">
      {outcome.notice}
    </p>
  ) : null
}
