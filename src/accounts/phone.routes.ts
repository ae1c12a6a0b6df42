import type { Request } from 'express';
import { z } from 'zod';
import { clientAddress, rateLimited } from '../platform/http/rate-limit';
import { publicRoute, route, type RouteDef } from '../platform/http/routes';
import { toSessionDto } from './account.schemas';
import { maskPhone, phone } from './phone';
import { type PhoneCodes, SmsRateLimited } from './phone-codes';
import type { SandboxSmsSender, SmsLanguage } from './sms';

const CodeBody = z.strictObject({ phone });
const VerifyBody = z.strictObject({ phone, code: z.string().regex(/^\d{6}$/, 'must be the 6 digits of the code') });
const SandboxSmsQuery = z.strictObject({ phone });

/** The SMS's language: English when the request prefers it (Accept-Language), Chinese otherwise. */
const languageOf = (req: Request): SmsLanguage => (req.acceptsLanguages('zh-CN', 'zh', 'en') === 'en' ? 'en' : 'zh-CN');

export interface PhoneRouteOptions {
  /** Answer the code in the 202 (SMS_SANDBOX_ECHO). */
  sandboxEcho: boolean;
  perAddressPerHour: number;
  /** Failed verifies per client address, counted like failed sign-ins. */
  failedVerifies: { windowMs: number; max: number };
  /** The sandbox sender whose outbox GET /v1/sandbox/sms reads; undefined = no such route (SANDBOX_TEST_ROUTES off). */
  sandboxOutbox?: SandboxSmsSender;
}

export function phoneRoutes(codes: PhoneCodes, options: PhoneRouteOptions): RouteDef[] {
  // Every code asked for from an address counts, whatever the number: each one is a text message someone pays for.
  const perAddress = rateLimited({
    windowMs: 3600_000,
    limit: options.perAddressPerHour,
    key: (req) => `sms|${clientAddress(req)}`,
    code: 'sms_rate_limited',
    detail: 'Too many codes were asked for from this address. Try again later.',
  });
  const failedVerifies = rateLimited({
    windowMs: options.failedVerifies.windowMs,
    limit: options.failedVerifies.max,
    key: (req) => `sms-verify|${clientAddress(req)}`,
    skipSuccessfulRequests: true,
    code: 'too_many_login_attempts',
    detail: 'Too many wrong codes from this address. Wait 15 minutes and try again.',
  });

  const routes: RouteDef[] = [
    publicRoute({
      method: 'post',
      path: '/v1/auth/phone/code',
      summary: 'Send a sign-in code by SMS (the same answer whether or not the number has an account)',
      status: 202,
      body: CodeBody,
      before: [perAddress],
      handle: async ({ body, req, res }) => {
        try {
          const sent = await codes.send(body.phone, languageOf(req));
          return {
            phone: maskPhone(body.phone),
            expiresInSeconds: sent.expiresInSeconds,
            resendAfterSeconds: sent.resendAfterSeconds,
            ...(options.sandboxEcho ? { sandboxCode: sent.code } : {}),
          };
        } catch (error) {
          if (error instanceof SmsRateLimited) res.setHeader('Retry-After', String(error.retryAfterSeconds));
          throw error;
        }
      },
    }),
    publicRoute({
      method: 'post',
      path: '/v1/auth/phone/verify',
      summary: 'Sign in (or sign up) with the code sent to the phone',
      body: VerifyBody,
      before: [failedVerifies],
      handle: async ({ body }) => {
        const { session, newAccount } = await codes.verify(body.phone, body.code);
        return { ...toSessionDto(session), newAccount };
      },
    }),
  ];
  const outbox = options.sandboxOutbox;
  if (!outbox) return routes;
  // Test mode only (SANDBOX_TEST_ROUTES): what the sandbox sender "sent", for tests and demos that play the phone.
  routes.push(
    route({
      method: 'get',
      path: '/v1/sandbox/sms',
      summary: 'Test mode: the text messages the sandbox SMS sender sent to a phone, newest first',
      access: ['operator'],
      query: SandboxSmsQuery,
      handle: async ({ query }) => ({
        items: outbox.sentTo(query.phone).map((m) => ({ phone: m.phone, text: m.text, code: m.code, sentAt: m.sentAt.toISOString() })),
      }),
    }),
  );
  return routes;
}
