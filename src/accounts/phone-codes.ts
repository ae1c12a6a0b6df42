import { createHmac, hkdfSync, randomInt, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../platform/clock';
import { type Database, isUniqueViolation } from '../platform/database';
import { AppError, badRequest } from '../platform/http/app-error';
import type { AccountService } from './account.service';
import type { Session } from './session.entity';
import { PhoneCodeRow } from './phone-code.entity';
import type { SmsLanguage, SmsSender } from './sms';

export interface PhoneCodeSettings {
  codeTtlSeconds: number;
  maxAttempts: number;
  resendAfterSeconds: number;
  perPhonePerHour: number;
}

const HOUR_MS = 3600_000;

/** Too soon, or too many codes for this phone this hour: the answer carries when to ask again (Retry-After). */
export class SmsRateLimited extends AppError {
  constructor(readonly retryAfterSeconds: number) {
    super(429, 'sms_rate_limited', `Too many codes were asked for this number. Ask again in ${retryAfterSeconds} seconds.`);
  }
}

/** Wrong, expired, already used, or tried too often: one answer for all, so none of them can be told apart. */
const codeInvalid = () => badRequest('code_invalid', 'The code is wrong or no longer valid. Check it, or ask for a new code.');

/**
 * Sign-in by phone: a 6-digit code sent by SMS, then verified for a session. Asking for a code never
 * looks at accounts, so its answer is the same for every number; the account is found, or made, only
 * once the code is verified. Codes are random (crypto.randomInt), stored as an HMAC, live
 * `codeTtlSeconds`, survive `maxAttempts` wrong tries, and are used once. One live code per phone: a
 * new one replaces the old. Sends per phone are limited here, in the database, so every replica counts
 * together (and tests move the clock); the per-address limit is the route's.
 */
export class PhoneCodes {
  private readonly key: Buffer;

  constructor(private readonly deps: { db: Database; clock: Clock; sms: SmsSender; accounts: AccountService; secret: string; settings: PhoneCodeSettings }) {
    this.key = Buffer.from(hkdfSync('sha256', deps.secret, Buffer.alloc(0), 'phone-sign-in-codes', 32));
  }

  /**
   * Makes a new code for `phone` (E.164), replacing any earlier one, and sends it. Returns the code for
   * the sandbox's echo; the route decides whether anyone sees it.
   */
  async send(phone: string, language: SmsLanguage): Promise<{ code: string; expiresInSeconds: number; resendAfterSeconds: number }> {
    const { settings, db, clock } = this.deps;
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    const now = clock.now();
    const fresh = {
      codeHash: this.hash(phone, code),
      sentAt: now,
      expiresAt: new Date(now.getTime() + settings.codeTtlSeconds * 1000),
      attempts: 0,
      usedAt: null,
    };
    let retryAfter: number | undefined;
    /** The code this one replaces, put back if the new one cannot be sent. */
    let replaced: Pick<PhoneCodeRow, 'codeHash' | 'expiresAt' | 'attempts' | 'usedAt'> | undefined;
    try {
      retryAfter = await db.transaction(async (tx) => {
        const row = await tx.findOne(PhoneCodeRow, { where: { phone }, lock: db.rowLock() });
        replaced = row ? { codeHash: row.codeHash, expiresAt: row.expiresAt, attempts: row.attempts, usedAt: row.usedAt } : undefined;
        if (!row) {
          await tx.insert(PhoneCodeRow, { phone, ...fresh, windowStartedAt: now, sentInWindow: 1 });
          return undefined;
        }
        const resendAt = row.sentAt.getTime() + settings.resendAfterSeconds * 1000;
        if (now.getTime() < resendAt) return secondsUntil(resendAt, now);
        const windowEnd = row.windowStartedAt.getTime() + HOUR_MS;
        const inWindow = now.getTime() < windowEnd;
        if (inWindow && row.sentInWindow >= settings.perPhonePerHour) return secondsUntil(windowEnd, now);
        await tx.update(
          PhoneCodeRow,
          { phone },
          { ...fresh, windowStartedAt: inWindow ? row.windowStartedAt : now, sentInWindow: inWindow ? row.sentInWindow + 1 : 1 },
        );
        return undefined;
      });
    } catch (error) {
      // Another request for the same new number inserted its row first: it was sent a code a moment ago.
      if (!isUniqueViolation(error)) throw error;
      retryAfter = settings.resendAfterSeconds;
    }
    if (retryAfter !== undefined) throw new SmsRateLimited(retryAfter);
    // After the commit: the code must be verifiable by the time the message arrives.
    try {
      await this.deps.sms.sendVerificationCode({ phone, code, validMinutes: Math.round(settings.codeTtlSeconds / 60), language });
    } catch {
      // The code already on the phone (asked for a minute or more ago, maybe not read yet) must not die for a
      // message that never went out: it is put back, unless another code replaced this one meanwhile. The
      // wait and the hourly count stand (a provider that did not answer may have sent it after all).
      if (replaced) {
        await db.transaction((tx) =>
          db.sql(tx, 'UPDATE phone_codes SET code_hash = ?, expires_at = ?, attempts = attempts + ?, used_at = ? WHERE phone = ? AND code_hash = ?', [
            replaced!.codeHash,
            replaced!.expiresAt,
            replaced!.attempts,
            replaced!.usedAt,
            phone,
            fresh.codeHash,
          ]),
        );
      }
      throw new AppError(503, 'sms_unavailable', 'The text message could not be sent. Try again in a minute.');
    }
    return { code, expiresInSeconds: settings.codeTtlSeconds, resendAfterSeconds: settings.resendAfterSeconds };
  }

  /**
   * Checks the code and signs the phone's owner in, making a consumer account on the first verify. In one
   * transaction, with the code's row locked and its use a conditional update, so concurrent verifies of one
   * code give one session and a code is never used twice.
   */
  async verify(phone: string, code: string): Promise<{ session: Session; newAccount: boolean }> {
    const { db, clock, settings } = this.deps;
    const now = clock.now();
    const given = this.hash(phone, code);
    const result = await db.transaction(async (tx) => {
      const row = await tx.findOne(PhoneCodeRow, { where: { phone }, lock: db.rowLock() });
      if (!row || row.usedAt !== null || row.expiresAt.getTime() <= now.getTime() || row.attempts >= settings.maxAttempts) return undefined;
      if (!timingSafeEqual(Buffer.from(given, 'hex'), Buffer.from(row.codeHash, 'hex'))) {
        // Committed with the refusal, so the fifth wrong try kills the code.
        await db.sql(tx, 'UPDATE phone_codes SET attempts = attempts + 1 WHERE phone = ? AND code_hash = ?', [phone, row.codeHash]);
        return undefined;
      }
      const used = await db.sql(tx, 'UPDATE phone_codes SET used_at = ? WHERE phone = ? AND code_hash = ? AND used_at IS NULL', [now, phone, row.codeHash]);
      if (used.affected !== 1) return undefined;
      return this.deps.accounts.phoneSession(tx, phone);
    });
    if (!result) throw codeInvalid();
    return result;
  }

  /** Rows whose code has expired and whose hour of send counts is over: they limit nothing any more. */
  async purge(now: Date): Promise<number> {
    const before = new Date(now.getTime() - Math.max(HOUR_MS, this.deps.settings.codeTtlSeconds * 1000));
    const result = await this.deps.db.transaction((tx) => tx.createQueryBuilder().delete().from(PhoneCodeRow).where('sent_at < :before', { before }).execute());
    return result.affected ?? 0;
  }

  /** HMAC-SHA256 of phone and code: the phone is in it, so one code's hash says nothing about another number's. */
  private hash(phone: string, code: string): string {
    return createHmac('sha256', this.key).update(`${phone}:${code}`).digest('hex');
  }
}

const secondsUntil = (at: number, now: Date) => Math.max(1, Math.ceil((at - now.getTime()) / 1000));
