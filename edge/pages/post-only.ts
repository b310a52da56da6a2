/**
 * What a form handler (app/<form>/submit/route.ts) answers to every method Next dispatches but POST: a 405 problem
 * with `Allow: POST` (`refuseAllButPost`). Next answers a method a route file does not export with an empty 405 (and
 * OPTIONS with a 204), so each handler re-exports these in one line.
 */
export {
  refuseAllButPost as DELETE,
  refuseAllButPost as GET,
  refuseAllButPost as HEAD,
  refuseAllButPost as OPTIONS,
  refuseAllButPost as PATCH,
  refuseAllButPost as PUT,
} from './form-kit'
