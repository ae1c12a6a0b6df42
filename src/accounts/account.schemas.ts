import { z } from 'zod';
import { shownText } from '../platform/text';
import { maskPhone } from './phone';
import type { Session } from './session.entity';
import type { UserRow } from './user.entity';

/** Emails are compared and stored trimmed and lower-cased. */
export const email = z
  .string()
  .trim()
  .toLowerCase()
  .max(254)
  .pipe(z.email('must be an email address'))
  // The description shows the input side of a pipe: say what it is checked against.
  .meta({ format: 'email' });
/** Characters as people count them: code points (an emoji is one, not two UTF-16 units). */
const characters = (s: string) => [...s].length;
// Long passphrases welcome; a cap keeps a 1 MB "password" from tying up the password hash. Counted after NFKC,
// as it is hashed: "e" + U+0301 five times is 10 units typed but 5 characters ("ééééé") hashed.
export const password = z
  .string()
  .overwrite((s) => s.normalize('NFKC'))
  .refine((s) => characters(s) >= 10, { message: 'must be at least 10 characters', params: { reason: 'too_short', limit: 10 } })
  .refine((s) => characters(s) <= 200, { message: 'must be at most 200 characters', params: { reason: 'too_long', limit: 200 } })
  .meta({ minLength: 10, maxLength: 200 });
/** The name others see (operators, the shop owner a consumer buys through). */
export const displayName = shownText(1, 100);

export const RegisterBody = z.strictObject({ email, password, displayName: displayName.optional() });
export const LoginBody = z.strictObject({ email, password: z.string().min(1).max(200) });
export const ChangePasswordBody = z.strictObject({ currentPassword: z.string().min(1).max(200), newPassword: password });
export type RegisterInput = z.infer<typeof RegisterBody>;

export const UserDocument = z
  .object({
    id: z.uuid(),
    email: z.string().nullable().meta({ description: 'null for a consumer who signed up by phone' }),
    phone: z.string().nullable().meta({
      description: 'E.164 (+8613812345678) to its owner (GET /v1/me, sign-in answers); masked (+86 138****5678) to anyone else; null if the account has none',
    }),
    role: z.enum(['consumer', 'operator', 'factory']),
    displayName: z.string(),
    factoryId: z.uuid().nullable(),
    createdAt: z.iso.datetime(),
    disabledAt: z.iso.datetime().nullable().meta({ description: 'When an operator disabled the account (it cannot sign in); null while it is enabled' }),
  })
  .meta({ id: 'User' });
export type UserDto = z.output<typeof UserDocument>;

/** Who GET /v1/me says a factory API key is. */
export const ApiKeyCaller = z.object({ role: z.literal('factory'), factoryId: z.uuid(), apiKeyId: z.uuid() }).meta({ id: 'ApiKeyCaller' });

export const SessionDocument = z
  .object({ token: z.string(), tokenType: z.literal('Bearer'), expiresAt: z.iso.datetime(), user: UserDocument })
  .meta({ id: 'Session' });

export const PhoneSession = z
  .intersection(SessionDocument, z.object({ newAccount: z.boolean().meta({ description: 'true when this verify made the account' }) }))
  .meta({
    id: 'PhoneSession',
  });

/** A user as its owner sees it (`owner`), or as an operator or a colleague does: their phone number masked. */
export function toUserDto(user: UserRow, viewer: 'owner' | 'other' = 'other'): UserDto {
  const phone = user.phone === null ? null : viewer === 'owner' ? user.phone : maskPhone(user.phone);
  return {
    id: user.id,
    email: user.email,
    phone,
    role: user.role,
    displayName: user.displayName,
    factoryId: user.factoryId,
    createdAt: user.createdAt.toISOString(),
    disabledAt: user.disabledAt?.toISOString() ?? null,
  };
}

/** The answer of every sign-in (email, sign-up, phone code): the owner sees their own account whole. */
export function toSessionDto(session: Session): z.output<typeof SessionDocument> {
  return { token: session.token, tokenType: 'Bearer', expiresAt: session.expiresAt.toISOString(), user: toUserDto(session.user, 'owner') };
}
