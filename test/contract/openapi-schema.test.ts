/**
 * The OpenAPI document is valid OpenAPI 3.1, checked against the official schema. Node environment: the validator
 * (Ajv) compiles schemas to code, which the edge runtime forbids; the document it checks is the one the edge serves.
 */
import { Validator } from '@seriousme/openapi-schema-validator'
import { describe, expect, it } from 'vitest'
import { createTestApp } from '../api/support'

describe('the OpenAPI document', () => {
  it('validates against the OpenAPI 3.1 schema', async () => {
    const { app } = createTestApp()
    const document = await (await app.request('/api/openapi.json')).json()
    const validator = new Validator()
    const result = await validator.validate(document)
    expect(result.errors ?? []).toEqual([])
    expect(result.valid).toBe(true)
    expect(validator.version).toBe('3.1')
  })
})
