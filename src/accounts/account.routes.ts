import type { Request } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import type { RouteDef } from '../platform/http/routes';
import { publicRoute, route } from '../platform/http/routes';
import { ROLES } from '../platform/http/principal';
import { sendProblem, toProblem } from '../platform/http/problem';
import { AppError } from '../platform/http/app-error';
import type { AccountService, Session } from './account.service';
import { LoginBody, RegisterBody, toUserDto } from './account.schemas';

function sessionDto(session: Session) {
  return { token: session.token, tokenType: 'Bearer', expiresAt: session.expiresAt.toISOString(), user: toUserDto(session.user) };
}

export function accountRoutes(accounts: AccountService, loginLimit: { windowMs: number; max: number }): RouteDef[] {
  // Failed sign-ins are limited per client address and account (guessing one password), and more loosely
  // per address alone (trying many accounts). A successful sign-in does not count. Per replica, in memory.
  const limiter = (limit: number, key: (req: Request) => string) =>
    rateLimit({
      windowMs: loginLimit.windowMs,
      limit,
      keyGenerator: key,
      skipSuccessfulRequests: true,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      handler: (req, res) => sendProblem(res, toProblem(new AppError(429, 'too_many_login_attempts', 'Too many failed sign-ins. Wait 15 minutes and try again.'), req)),
    });
  const clientAddress = (req: Request) => ipKeyGenerator(req.ip ?? 'unknown');
  const loginLimiters = [
    limiter(loginLimit.max, (req) => `${clientAddress(req)}|${String((req.body as { email?: unknown } | undefined)?.email ?? '').trim().toLowerCase()}`),
    limiter(loginLimit.max * 10, clientAddress),
  ];

  return [
    publicRoute({
      method: 'post', path: '/v1/auth/register', summary: 'Create a consumer account and sign in', status: 201, body: RegisterBody,
      handle: async ({ body }) => sessionDto(await accounts.register(body)),
    }),
    publicRoute({
      method: 'post', path: '/v1/auth/login', summary: 'Sign in with email and password', body: LoginBody, before: loginLimiters,
      handle: async ({ body }) => sessionDto(await accounts.login(body.email, body.password)),
    }),
    route({
      method: 'get', path: '/v1/me', summary: 'Who the caller is', access: ROLES,
      handle: async ({ principal }) =>
        'apiKeyId' in principal ? { role: principal.role, factoryId: principal.factoryId, apiKeyId: principal.apiKeyId } : { ...toUserDto(await accounts.get(principal.userId)) },
    }),
  ];
}
