import type { Logger } from '../platform/logger';
import { maskPhone } from './phone';

export type SmsLanguage = 'zh-CN' | 'en';

/** A sign-in code to send by SMS: what a provider's template needs (the code and how long it lasts), and to whom. */
export interface VerificationSms {
  /** E.164, e.g. +8613812345678. */
  phone: string;
  code: string;
  validMinutes: number;
  language: SmsLanguage;
}

/**
 * The SMS port. A real provider (Alibaba Cloud SMS, Tencent Cloud SMS) is an adapter of this interface:
 * mainland providers send only registered templates under a registered signature, so the adapter gets
 * the template's parameters (code, minutes), not free text. A real adapter never logs the code.
 * Called outside database transactions; throws when the provider refuses or does not answer.
 */
export interface SmsSender {
  readonly name: string;
  sendVerificationCode(message: VerificationSms): Promise<void>;
}

/** The texts of the verification message, under the service's SMS signature 【C2M预售】. */
const TEMPLATES: Record<SmsLanguage, (m: VerificationSms) => string> = {
  'zh-CN': (m) => `【C2M预售】验证码 ${m.code}，${m.validMinutes} 分钟内有效。如非本人操作，请忽略。`,
  en: (m) => `[C2M Presale] Your code is ${m.code}, valid for ${m.validMinutes} minutes. If you did not ask for it, ignore this message.`,
};

export function verificationText(message: VerificationSms): string {
  return TEMPLATES[message.language](message);
}

export interface SentSms {
  phone: string;
  text: string;
  code: string;
  sentAt: Date;
}

/**
 * The built-in sender: sends nothing, logs the message (the code is the point of a sandbox: whoever runs
 * the demo reads it there) and keeps the last few messages per phone in memory for the test-only route
 * GET /v1/sandbox/sms. Bounded: at most `perPhone` messages for each of the `phones` most recent numbers.
 * With `revealCodes` off (anywhere but the demo and test mode) the log line says a code was not delivered, without the code.
 */
export class SandboxSmsSender implements SmsSender {
  readonly name = 'sandbox';
  private readonly outbox = new Map<string, SentSms[]>();

  constructor(private readonly options: { logger: Logger; revealCodes: boolean; now: () => Date; perPhone?: number; phones?: number }) {}

  async sendVerificationCode(message: VerificationSms): Promise<void> {
    const text = verificationText(message);
    const sent: SentSms = { phone: message.phone, text, code: message.code, sentAt: this.options.now() };
    if (this.options.revealCodes) {
      this.options.logger.info({ sms: { to: maskPhone(message.phone), text } }, 'sandbox SMS (not delivered): sign-in code');
    } else {
      this.options.logger.warn({ sms: { to: maskPhone(message.phone) } }, 'sandbox SMS: no SMS provider is configured, so this sign-in code was not delivered');
    }
    const perPhone = this.options.perPhone ?? 20;
    const phones = this.options.phones ?? 1000;
    // Newest first; re-inserting moves the number to the end of the map's order, so the least recently texted number goes first.
    const messages = [sent, ...(this.outbox.get(message.phone) ?? [])].slice(0, perPhone);
    this.outbox.delete(message.phone);
    this.outbox.set(message.phone, messages);
    while (this.outbox.size > phones) this.outbox.delete(this.outbox.keys().next().value!);
  }

  /** What was "sent" to a phone, newest first. */
  sentTo(phone: string): SentSms[] {
    return [...(this.outbox.get(phone) ?? [])];
  }
}
