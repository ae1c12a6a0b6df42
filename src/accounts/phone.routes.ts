import type { Request } from 'express';
import { z } from 'zod';
import { type RateLimits, clientAddress } from '../platform/http/rate-limit';
import { publicRoute, route, type RouteDef } from '../platform/http/routes';
import { PhoneSession, toSessionDto } from './account.schemas';
import { maskPhone, phone } from './phone';
import { type PhoneCodes, SmsRateLimited } from './phone-codes';
import type { SandboxSmsSender, SmsLanguage } from './sms';

const CodeBody = z.strictObject({ phone });
/**
 * The code as typed: a Chinese input method in full-width mode types １２３４５６ (as it types the number, which
 * `phone` accepts), and a code copied from the message may carry spaces; both are the 6 digits sent.
 */
const code = z
  .string()
  .overwrite((typed) => typed.normalize('NFKC').replace(/\s/g, ''))
  .regex(/^\d{6}$/, 'must be the 6 digits of the code');
const VerifyBody = z.strictObject({ phone, code });
const SandboxSmsQuery = z.strictObject({ phone });
const CodeSent = z
  .object({
    phone: z.string().meta({ description: 'The number masked', examples: ['+86 138****5678'] }),
    expiresInSeconds: z.int().meta({ examples: [300] }),
    resendAfterSeconds: z.int().meta({ examples: [60] }),
    sandboxCode: z
      .string()
      .regex(/^\d{6}$/)
      .optional()
      .meta({ description: 'The code itself, only with SMS_SANDBOX_ECHO (the embedded demo; never in production)' }),
  })
  .meta({ id: 'SmsCodeSent' });
const SandboxOutbox = z.object({
  items: z.array(
    z.object({
      phone: z.string().meta({ examples: ['+8613812345678'] }),
      text: z.string().meta({ examples: ['【C2M预售】验证码 123456，5 分钟内有效。如非本人操作，请忽略。'] }),
      code: z.string(),
      sentAt: z.iso.datetime(),
    }),
  ),
});

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

export function phoneRoutes(codes: PhoneCodes, options: PhoneRouteOptions, rateLimits: RateLimits): RouteDef[] {
  // Every code asked for from an address counts, whatever the number: each one is a text message someone pays for.
  const perAddress = rateLimits.limit({
    name: 'sms-codes-by-address',
    windowMs: 3600_000,
    limit: options.perAddressPerHour,
    key: (req) => `sms|${clientAddress(req)}`,
    code: 'sms_rate_limited',
    detail: 'Too many codes were asked for from this address. Try again later.',
  });
  const failedVerifies = rateLimits.limit({
    name: 'sms-verify-failures-by-address',
    windowMs: options.failedVerifies.windowMs,
    limit: options.failedVerifies.max,
    key: (req) => `sms-verify|${clientAddress(req)}`,
    countOnly: ['code_invalid'],
    code: 'too_many_login_attempts',
    detail: 'Too many wrong codes from this address. Wait 15 minutes and try again.',
  });

  const routes: RouteDef[] = [
    publicRoute({
      method: 'post',
      path: '/v1/auth/phone/code',
      summary: 'Send a sign-in code by SMS to a mainland mobile number (the same answer whether or not the number has an account)',
      status: 202,
      body: CodeBody,
      response: CodeSent,
      doc: {
        description:
          'Makes a 6-digit code, valid `expiresInSeconds` (300), replacing any earlier code for the number, and sends it by SMS (the sandbox sender logs it). Nothing about accounts is looked at: the account is found, or made, by `/v1/auth/phone/verify`. Limits: per number one code per `resendAfterSeconds` (60) and 5 an hour; per client address 30 an hour.',
        answer: 'A code was sent',
        problems: {
          400: '`validation_failed`: not a mainland mobile number',
          429: '`sms_rate_limited`: too soon after the last code, too many codes for this number this hour, or from this address; retry after `Retry-After` seconds',
          503: '`sms_unavailable`: the SMS provider did not take the message',
        },
      },
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
      summary: "Sign in (or sign up, on a number's first verify) with the code sent to the phone",
      body: VerifyBody,
      response: PhoneSession,
      doc: {
        description:
          'The same answer as `/v1/auth/login`, plus `newAccount`. A code is used once; concurrent verifies of one code give one session. A wrong, expired or used code, or a number with no code, is the same 400 `code_invalid`; after 5 wrong tries the code is dead (ask for a new one).',
        answer: 'Signed in',
        problems: {
          400: '`code_invalid`: wrong, expired, used or dead code; `validation_failed`: malformed number or code',
          429: '`too_many_login_attempts`: too many wrong codes from this client address',
        },
      },
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
      summary:
        'Test mode only (operator; exists only with SANDBOX_TEST_ROUTES=true, never in production): the text messages the sandbox SMS sender sent to a phone, newest first',
      access: ['operator'],
      query: SandboxSmsQuery,
      response: SandboxOutbox,
      doc: { answer: 'What the phone received (the sandbox keeps the last 20 per number, for the last 1,000 numbers, in memory)' },
      handle: async ({ query }) => ({
        items: outbox.sentTo(query.phone).map((m) => ({ phone: m.phone, text: m.text, code: m.code, sentAt: m.sentAt.toISOString() })),
      }),
    }),
  );
  return routes;
}
