/** Who may do what to users: the API refuses by these rules, and the pages offer only the forms they allow. */
import type { Identity } from './tokens'

/** The signed-in caller is this user. */
export const isSelf = (identity: Identity, id: number): boolean => identity.userId === String(id)

/** Creating users, changing roles, and changing or deleting anyone: admins only. */
export const mayManageUsers = (identity: Identity): boolean => identity.role === 'admin'

/** Changing (or deleting) this user: the user themselves, or an admin. */
export const mayChangeUser = (identity: Identity, id: number): boolean =>
  mayManageUsers(identity) || isSelf(identity, id)
