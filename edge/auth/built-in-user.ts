/** Which verified identities are accounts of ours: the API's "who am I" and the pages read the same account. */
import { MAX_USER_ID, USER_ID_TEXT } from '../user-id'
import type { Identity } from './tokens'

/**
 * The caller's account id, when the token's subject is one of ours. Subjects of an external identity provider need
 * not be ids of ours: only a numeric one in the id range is taken for one.
 */
export function builtInUserId(identity: Identity): number | undefined {
  const numeric = USER_ID_TEXT.test(identity.userId) ? Number(identity.userId) : undefined
  return numeric !== undefined && numeric <= MAX_USER_ID ? numeric : undefined
}
