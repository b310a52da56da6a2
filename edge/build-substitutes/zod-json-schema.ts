/**
 * What Next's edge functions get instead of zod's JSON Schema conversion (`zod/v4/core/json-schema-processors.js`
 * and `to-json-schema.js`), through next.config.ts's `turbopack.resolveAlias` (decision 0041). Zod's classic schemas
 * import both for their `toJSONSchema()`, `~standard.jsonSchema` and checks getters (`minLength`, `format`), so no
 * bundler can leave them out, yet only the OpenAPI document's builder converts schemas, at build time, with the real
 * modules (scripts/build-api-docs.ts runs outside Next). Here each export throws if anything ever calls it: a use
 * at run time fails loudly, never silently. If a zod upgrade imports a name this module lacks, `next build` fails
 * ("Export … doesn't exist in target module"): add it here.
 */

function absent(): never {
  throw new Error('zod JSON Schema conversion is not in the edge functions (decision 0041)')
}

/** Creating the methods is harmless (`~standard` creates them on access); calling one is not. */
export const createToJSONSchemaMethod = () => absent
export const createStandardJSONSchemaMethod = () => absent

export const aggregateChecks = absent
export const anyProcessor = absent
export const arrayProcessor = absent
export const bigintProcessor = absent
export const booleanProcessor = absent
export const catchProcessor = absent
export const customProcessor = absent
export const dateProcessor = absent
export const defaultProcessor = absent
export const enumProcessor = absent
export const fileProcessor = absent
export const functionProcessor = absent
export const intersectionProcessor = absent
export const js = absent
export const lazyProcessor = absent
export const literalProcessor = absent
export const mapProcessor = absent
export const nanProcessor = absent
export const neverProcessor = absent
export const nonoptionalProcessor = absent
export const nullProcessor = absent
export const nullableProcessor = absent
export const numberProcessor = absent
export const objectProcessor = absent
export const optionalProcessor = absent
export const pipeProcessor = absent
export const prefaultProcessor = absent
export const promiseProcessor = absent
export const readonlyProcessor = absent
export const recordProcessor = absent
export const setProcessor = absent
export const stringProcessor = absent
export const successProcessor = absent
export const symbolProcessor = absent
export const templateLiteralProcessor = absent
export const transformProcessor = absent
export const tupleProcessor = absent
export const undefinedProcessor = absent
export const unionProcessor = absent
export const unknownProcessor = absent
export const voidProcessor = absent
