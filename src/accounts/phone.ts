import { z } from 'zod';

/**
 * Mainland China mobile numbers, the ones a consumer signs in with. Stored and compared in E.164
 * (`+8613812345678`); typed however people type them: `13812345678`, `+86 138 1234 5678`,
 * `0086-138-1234-5678`, `(+86) 138 1234 5678`, full-width `１３８１２３４５６７８`.
 */
const MOBILE = /^1[3-9]\d{9}$/;

/** The E.164 form of a mainland mobile number as typed, or undefined when it is not one. */
export function normalizePhone(typed: string): string | undefined {
  // A Chinese input method in full-width mode types １３８… and ＋86: NFKC makes them ASCII.
  const compact = typed.normalize('NFKC').replace(/[\s\-().]/g, '');
  const national = compact.replace(/^(\+86|0086|86(?=\d{11}$))/, '');
  return MOBILE.test(national) ? `+86${national}` : undefined;
}

/** How a number is shown to anyone but its owner (and in answers that must not reveal it whole): `+86 138****5678`. */
export function maskPhone(e164: string): string {
  const national = e164.replace(/^\+86/, '');
  return `+86 ${national.slice(0, 3)}****${national.slice(-4)}`;
}

/** A request's phone field: a string of at most 32 characters that is a mainland mobile number, turned into E.164. */
export const phone = z
  .string()
  .max(32)
  .transform((typed, ctx) => {
    const e164 = normalizePhone(typed);
    if (e164 === undefined) {
      ctx.addIssue({ code: 'custom', message: 'must be a mainland China mobile number such as 13812345678 or +86 138 1234 5678' });
      return z.NEVER;
    }
    return e164;
  });
