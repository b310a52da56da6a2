/** zod schemas of the emailed-link flows: password reset, invitations, email change (strict bodies, decision 0020). */
import * as z from 'zod'
import { onlyInDocs } from '../openapi'
import { newPassword } from './auth'
import { userEmail } from './users'

// A link token is 43 base64url characters; anything up to 200 is read and refused as invalid, not as a 422.
const linkToken = z
  .string()
  .min(1, 'must not be empty')
  .max(200, 'must be at most 200 characters')
  .meta(
    onlyInDocs(() => ({
      description: 'The `token` of the emailed link',
      example: 'Vt3y8fA2k1qM0cZxQ4bR7nW9pL5sD6gH2jK8eU1oT0i',
    })),
  )

export const PasswordResetRequestSchema = z
  .object({ email: userEmail })
  .strict()
  .meta(onlyInDocs(() => ({ id: 'PasswordResetRequest' })))

export const SetPasswordWithTokenSchema = z
  .object({ token: linkToken, newPassword })
  .strict()
  .meta(onlyInDocs(() => ({ id: 'SetPasswordWithToken' })))

export const EmailChangeRequestSchema = z
  .object({
    newEmail: userEmail,
    currentPassword: z
      .string()
      .min(1, 'must not be empty')
      .max(256)
      .meta(onlyInDocs(() => ({ format: 'password' }))),
  })
  .strict()
  .meta(onlyInDocs(() => ({ id: 'EmailChangeRequest' })))

export const EmailChangeConfirmSchema = z
  .object({ token: linkToken })
  .strict()
  .meta(onlyInDocs(() => ({ id: 'EmailChangeConfirm' })))

/** The answer of a request whose effect is an email: what happens next, in words. */
export const AcceptedSchema = z
  .object({
    detail: z
      .string()
      .meta(onlyInDocs(() => ({ example: 'If an account has this address, a link is on its way to it.' }))),
  })
  .meta(onlyInDocs(() => ({ id: 'Accepted' })))
