import { rateLimit } from 'express-rate-limit';
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
  // Failed logins per client address; a successful one does not count. Per replica (in memory).
  const loginLimiter = rateLimit({
    windowMs: loginLimit.windowMs,
    limit: loginLimit.max,
    skipSuccessfulRequests: true,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    handler: (req, res) => sendProblem(res, toProblem(new AppError(429, 'too_many_login_attempts', 'Too many failed sign-ins from here. Wait 15 minutes and try again.'), req)),
  });

  return [
    publicRoute({
      method: 'post', path: '/v1/auth/register', summary: 'Create a consumer account and sign in', status: 201, body: RegisterBody,
      handle: async ({ body }) => sessionDto(await accounts.register(body)),
    }),
    publicRoute({
      method: 'post', path: '/v1/auth/login', summary: 'Sign in with email and password', body: LoginBody, before: [loginLimiter],
      handle: async ({ body }) => sessionDto(await accounts.login(body.email, body.password)),
    }),
    route({
      method: 'get', path: '/v1/me', summary: 'Who the caller is', access: ROLES,
      handle: async ({ principal }) =>
        'apiKeyId' in principal ? { role: principal.role, factoryId: principal.factoryId, apiKeyId: principal.apiKeyId } : { ...toUserDto(await accounts.get(principal.userId)) },
    }),
  ];
}
