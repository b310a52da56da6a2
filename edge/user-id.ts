/** What a user id looks like, without zod: for code that needs the rule but none of the schemas (the pages). */

/** Largest value of the `integer` identity column: a bigger id cannot exist, so it is rejected as malformed. */
export const MAX_USER_ID = 2_147_483_647
/** A user id as text that may go into a path or be taken for one of ours: 1 to 10 digits, no leading zero. */
export const USER_ID_TEXT = /^[1-9][0-9]{0,9}$/
