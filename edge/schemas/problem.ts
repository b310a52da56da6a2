/** zod schema of the problem+json body, so every route can document its error responses in one line. */
import * as z from 'zod'
import { onlyInDocs } from '../openapi'
import { MAX_FIELD_ERRORS, PROBLEM_CONTENT_TYPE } from '../problem'

export const ProblemSchema = z
  .object({
    type: z.string().meta(
      onlyInDocs(() => ({
        format: 'uri-reference',
        description: 'Stable: `/problems/<slug>`; switch on it, not on the title or detail',
        example: '/problems/not-found',
      })),
    ),
    title: z.string(),
    status: z
      .int()
      .min(400)
      .max(599)
      .meta(onlyInDocs(() => ({ description: 'The HTTP status, repeated' }))),
    detail: z.string(),
    instance: z.string(),
    requestId: z.string(),
    errors: z
      .array(
        z.object({
          field: z.string(),
          in: z.enum(['body', 'query', 'path']),
          detail: z.string(),
          pointer: z.string().optional(),
        }),
      )
      .max(MAX_FIELD_ERRORS)
      .optional()
      .meta(onlyInDocs(() => ({ description: `The invalid fields: the first ${MAX_FIELD_ERRORS} at most` }))),
    omittedErrors: z
      .int()
      .min(1)
      .optional()
      .meta(
        onlyInDocs(() => ({
          description:
            'How many more invalid fields were found than `errors` lists; absent when it lists them all',
        })),
      ),
  })
  .meta(onlyInDocs(() => ({ id: 'Problem' })))

/** An OpenAPI response entry for a problem with the given description. */
export function problemResponse(description: string) {
  return { description, content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemSchema } } }
}
