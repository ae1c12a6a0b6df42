import { z } from 'zod';
import { maskPhone } from './phone';
import type { Session } from './session.entity';
import type { UserRow } from './user.entity';

/** Emails are compared and stored trimmed and lower-cased. */
export const email = z.string().trim().toLowerCase().max(254).pipe(z.email('must be an email address'));
// Long passphrases welcome; a cap keeps a 1 MB "password" from tying up the password hash.
export const password = z.string().min(10, 'must be at least 10 characters').max(200);
export const displayName = z.string().trim().min(1).max(100);

export const RegisterBody = z.strictObject({ email, password, displayName: displayName.optional() });
export const LoginBody = z.strictObject({ email, password: z.string().min(1).max(200) });
export const ChangePasswordBody = z.strictObject({ currentPassword: z.string().min(1).max(200), newPassword: password });
export type RegisterInput = z.infer<typeof RegisterBody>;

export interface UserDto {
  id: string;
  /** null for a consumer who signed up by phone. */
  email: string | null;
  /** E.164 to its owner, masked (+86 138****5678) to anyone else; null when the account has none. */
  phone: string | null;
  role: UserRow['role'];
  displayName: string;
  factoryId: string | null;
  createdAt: string;
}

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
  };
}

/** The answer of every sign-in (email, sign-up, phone code): the owner sees their own account whole. */
export function toSessionDto(session: Session) {
  return { token: session.token, tokenType: 'Bearer', expiresAt: session.expiresAt.toISOString(), user: toUserDto(session.user, 'owner') };
}
