/** zod schemas of the auth endpoints: sign-up, log-in, password change, refresh, log-out and "who am I". */
// Every JSON request body is strict: an unknown field is a 422 naming it (decision 0020).
import * as z from 'zod'
import { onlyInDocs } from '../openapi'
import { RoleSchema, UserSchema, userEmail, userName } from './users'

/** 8+ characters (NIST SP 800-63B); the upper bound keeps hashing cost and bodies small. */
export const MIN_PASSWORD_LENGTH = 8
export const MAX_PASSWORD_LENGTH = 256

export const newPassword = z
  .string()
  .min(MIN_PASSWORD_LENGTH, `must be at least ${MIN_PASSWORD_LENGTH} characters`)
  .max(MAX_PASSWORD_LENGTH, `must be at most ${MAX_PASSWORD_LENGTH} characters`)
  .meta(onlyInDocs(() => ({ example: 'correct horse battery staple', format: 'password' })))

export const SignupSchema = z
  .object({ name: userName, email: userEmail, password: newPassword })
  .strict()
  .meta(onlyInDocs(() => ({ id: 'Signup' })))

// No policy on a password being checked: an account made under older rules must still be able to log in.
const existingPassword = z
  .string()
  .min(1, 'must not be empty')
  .max(MAX_PASSWORD_LENGTH, `must be at most ${MAX_PASSWORD_LENGTH} characters`)
  .meta(onlyInDocs(() => ({ format: 'password' })))

export const LoginSchema = z
  .object({ email: userEmail, password: existingPassword })
  .strict()
  .meta(onlyInDocs(() => ({ id: 'Login' })))

/** The new password follows sign-up's rules; the current one is only checked against the stored hash. */
export const ChangePasswordSchema = z
  .object({ currentPassword: existingPassword, newPassword })
  .strict()
  .meta(onlyInDocs(() => ({ id: 'ChangePassword' })))

/** API clients send the refresh token in the body; browsers send nothing and the cookie is used. */
export const RefreshTokenBodySchema = z
  .object({ refreshToken: z.string().max(200).optional() })
  .strict()
  .meta(onlyInDocs(() => ({ id: 'RefreshTokenBody' })))

export const SessionSchema = z
  .object({
    user: UserSchema,
    tokenType: z.literal('Bearer'),
    accessToken: z
      .string()
      .meta(onlyInDocs(() => ({ description: 'JWT; send as Authorization: Bearer <accessToken>' }))),
    // The bounds of ACCESS_TOKEN_TTL_SECONDS and REFRESH_TOKEN_TTL_SECONDS (edge/env.ts).
    expiresIn: z
      .int()
      .min(60)
      .max(86_400)
      .meta(onlyInDocs(() => ({ description: 'Seconds until the access token expires', example: 900 }))),
    refreshToken: z
      .string()
      .meta(onlyInDocs(() => ({ description: 'Opaque; single use: each refresh returns a new one' }))),
    refreshTokenExpiresIn: z
      .int()
      .min(3_600)
      .max(31_536_000)
      .meta(
        onlyInDocs(() => ({ description: 'Seconds until the refresh token expires', example: 2_592_000 })),
      ),
  })
  .meta(onlyInDocs(() => ({ id: 'Session' })))

export const RefreshedSessionSchema = SessionSchema.omit({ user: true })
  .extend({ userId: z.string(), role: RoleSchema })
  .meta(onlyInDocs(() => ({ id: 'RefreshedSession' })))

export const MeSchema = z
  .object({
    userId: z.string().meta(onlyInDocs(() => ({ description: "The token's subject", example: '1' }))),
    role: RoleSchema,
    // A union, not .nullable(): the generator renders that as allOf[User, {type: [object, null]}], which no null
    // can satisfy; this is anyOf[User, {type: null}], as the app answers for an account deleted since log-in.
    user: z.union([UserSchema, z.null()]).meta(
      onlyInDocs(() => ({
        description:
          'The account, when the subject is a built-in account that still exists; null for a deleted account or a ' +
          'subject of the external identity provider',
      })),
    ),
  })
  .meta(onlyInDocs(() => ({ id: 'Me' })))
