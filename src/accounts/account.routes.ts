import type { Request } from 'express';
import { type RateLimits, clientAddress } from '../platform/http/rate-limit';
import type { RouteDef } from '../platform/http/routes';
import { publicRoute, route } from '../platform/http/routes';
import { ROLES, subjectOf } from '../platform/http/principal';
import type { AccountService } from './account.service';
import { z } from 'zod';
import { ApiKeyCaller, ChangePasswordBody, LoginBody, RegisterBody, SessionDocument, UserDocument, toSessionDto, toUserDto } from './account.schemas';

const SERVER_BUSY = '`server_busy`: too many password hashes waiting; retry after `Retry-After` seconds';

export function accountRoutes(
  accounts: AccountService,
  limits: { login: { windowMs: number; max: number }; register: { windowMs: number; max: number } },
  rateLimits: RateLimits,
): RouteDef[] {
  const loginLimit = limits.login;
  // Failed sign-ins are limited per client address and account (guessing one password), and more loosely
  // per address alone (trying many accounts). Only a wrong guess counts: a wrong password, a sign-up with a taken
  // email and the wrong password, a wrong current password; not a 503 or a body that is not valid.
  const limiter = (name: string, limit: number, key: (req: Request) => string) =>
    rateLimits.limit({
      name,
      windowMs: loginLimit.windowMs,
      limit,
      key,
      countOnly: ['invalid_credentials', 'email_taken', 'wrong_password'],
      code: 'too_many_login_attempts',
      detail: 'Too many failed sign-ins. Wait 15 minutes and try again.',
    });
  // The account part of the key is the email only when it is a string: String() of a deeply nested array
  // overflows the stack (a 500), and a body that is not a sign-in is refused by validation anyway.
  const emailOf = (req: Request) => {
    const email = (req.body as { email?: unknown } | undefined)?.email;
    return typeof email === 'string' ? email.trim().toLowerCase() : '';
  };
  const loginLimiters = [
    limiter('login-failures-by-address-and-account', loginLimit.max, (req) => `${clientAddress(req)}|${emailOf(req)}`),
    limiter('login-failures-by-address', loginLimit.max * 10, clientAddress),
  ];

  // Every sign-up from an address counts, taken email or not: each costs a password hash, and a stream of
  // them would tell which emails have accounts (docs/domain.md, "Accounts and access").
  const registerLimiter = rateLimits.limit({
    name: 'registrations-by-address',
    windowMs: limits.register.windowMs,
    limit: limits.register.max,
    key: clientAddress,
    code: 'too_many_registrations',
    detail: 'Too many sign-ups from this address. Wait 15 minutes and try again.',
  });

  return [
    publicRoute({
      // A taken email with the wrong password is a failed sign-in (registering an existing account with its
      // password signs in), so it counts against the sign-in limits too: registration is no softer password oracle.
      method: 'post',
      path: '/v1/auth/register',
      summary: 'Create a consumer account and sign in',
      status: 201,
      body: RegisterBody,
      response: SessionDocument,
      doc: {
        description:
          "A new email makes a consumer account. An email that already has a consumer account, with that account's password, signs in to it (the same 201: a sign-up sent twice is harmless); any other taken email is a 409. Whether an email has an account therefore shows to whoever tries it; the sign-up that hides it is by phone (`/v1/auth/phone/code`), see docs/domain.md.",
        answer: 'Signed in (a new account, or the existing consumer account whose password was given)',
        problems: {
          409: '`email_taken`: the email has an account and the password is not its password (or it is not a consumer account)',
          429: '`too_many_registrations` (per client address, every attempt counted), or `too_many_login_attempts` (taken emails with a wrong password count as failed sign-ins)',
          503: SERVER_BUSY,
        },
      },
      before: [registerLimiter, ...loginLimiters],
      handle: async ({ body }) => toSessionDto(await accounts.register(body)),
    }),
    publicRoute({
      method: 'post',
      path: '/v1/auth/login',
      summary: 'Sign in with email and password (failed attempts are rate-limited per client)',
      body: LoginBody,
      response: SessionDocument,
      doc: { answer: 'Signed in', problems: { 401: '`invalid_credentials`', 429: '`too_many_login_attempts`', 503: SERVER_BUSY } },
      before: loginLimiters,
      handle: async ({ body }) => toSessionDto(await accounts.login(body.email, body.password)),
    }),
    route({
      method: 'post',
      path: '/v1/auth/logout',
      summary: 'Sign out, ending this session (its token stops working at once, on every replica)',
      access: ROLES,
      status: 204,
      response: null,
      doc: { answer: 'Signed out', problems: { 400: '`not_a_session`: a factory API key has no session (an operator revokes keys)' } },
      handle: async ({ principal }) => {
        await accounts.logout(principal);
      },
    }),
    route({
      method: 'post',
      path: '/v1/auth/password',
      summary: 'Change the password; every other session is ended at once (this one stays signed in)',
      access: ROLES,
      status: 204,
      body: ChangePasswordBody,
      response: null,
      doc: {
        answer: 'Changed',
        problems: {
          403: '`wrong_password`: the current password is wrong',
          409: '`password_not_set`: the account signs in by phone code and has no password',
          429: '`too_many_login_attempts`: too many wrong current passwords for this account',
          503: SERVER_BUSY,
        },
      },
      // A stolen token must not turn into a password oracle: wrong current passwords count like failed sign-ins, per account.
      before: [limiter('password-failures-by-account', loginLimit.max, (req) => `password|${subjectOf(req.principal)}`)],
      handle: async ({ principal, body }) => {
        await accounts.changePassword(principal, body.currentPassword, body.newPassword);
      },
    }),
    route({
      method: 'get',
      path: '/v1/me',
      summary: 'Who the caller is (a user, or a factory API key)',
      access: ROLES,
      response: z.union([UserDocument, ApiKeyCaller]),
      doc: { answer: 'The caller' },
      handle: async ({ principal }) =>
        'apiKeyId' in principal
          ? { role: principal.role, factoryId: principal.factoryId, apiKeyId: principal.apiKeyId }
          : { ...toUserDto(await accounts.get(principal.userId), 'owner') },
    }),
  ];
}
