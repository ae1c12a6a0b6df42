import { Writable } from 'node:stream';
import { maskPhone, normalizePhone, SandboxSmsSender } from '../../src/accounts';
import { createLogger } from '../../src/platform/logger';

describe('mainland mobile numbers', () => {
  test.each([
    ['13812345678', '+8613812345678'],
    ['+8613812345678', '+8613812345678'],
    ['+86 138 1234 5678', '+8613812345678'],
    ['0086-138-1234-5678', '+8613812345678'],
    ['(+86) 138.1234.5678', '+8613812345678'],
    ['8613812345678', '+8613812345678'],
    [' 199 0000 0000 ', '+8619900000000'],
    ['＋８６ １３８ １２３４ ５６７８', '+8613812345678'],
  ])('%s is %s', (typed, e164) => {
    expect(normalizePhone(typed)).toBe(e164);
  });

  test.each([
    '',
    '1381234567',
    '138123456789',
    '12812345678',
    '23812345678',
    '+1 415 555 0100',
    '+85291234567',
    '+86 010 1234 5678',
    '138-abcd-5678',
    '86138123456',
    '١٣٨١٢٣٤٥٦٧٨',
  ])('%p is not one', (typed) => {
    expect(normalizePhone(typed)).toBeUndefined();
  });

  test('masked for anyone but the owner: the first three and the last four digits', () => {
    expect(maskPhone('+8613812345678')).toBe('+86 138****5678');
  });
});

describe('the sandbox SMS sender', () => {
  const capture = () => {
    const lines: string[] = [];
    const destination = new Writable({ write: (chunk, _encoding, done) => void (lines.push(String(chunk)), done()) });
    return { logger: createLogger('info', destination), text: () => lines.join('') };
  };
  const message = (phone: string, code: string, language: 'zh-CN' | 'en' = 'zh-CN') => ({ phone, code, validMinutes: 5, language });

  test('logs the message with the code at info, the number masked, and keeps it, newest first', async () => {
    const { logger, text } = capture();
    const sms = new SandboxSmsSender({ logger, revealCodes: true, now: () => new Date() });
    await sms.sendVerificationCode(message('+8613812345678', '111111'));
    await sms.sendVerificationCode(message('+8613812345678', '222222', 'en'));
    expect(text()).toContain('【C2M预售】验证码 111111，5 分钟内有效。如非本人操作，请忽略。');
    expect(text()).toContain('+86 138****5678');
    expect(text()).not.toContain('+8613812345678');
    expect(JSON.parse(text().split('\n')[0])).toMatchObject({ level: 30 });
    expect(sms.sentTo('+8613812345678').map((m) => m.code)).toEqual(['222222', '111111']);
  });

  test('never logs the code when it may not reveal codes (production)', async () => {
    const { logger, text } = capture();
    const sms = new SandboxSmsSender({ logger, revealCodes: false, now: () => new Date() });
    await sms.sendVerificationCode(message('+8613812345678', '987654'));
    expect(text()).not.toContain('987654');
    expect(text()).toContain('not delivered');
  });

  test('the outbox is bounded: the last messages of each number, for the most recently texted numbers', async () => {
    const { logger } = capture();
    const sms = new SandboxSmsSender({ logger, revealCodes: true, now: () => new Date(), perPhone: 3, phones: 2 });
    for (let i = 0; i < 5; i++) await sms.sendVerificationCode(message('+8613800000001', `00000${i}`));
    expect(sms.sentTo('+8613800000001').map((m) => m.code)).toEqual(['000004', '000003', '000002']);
    await sms.sendVerificationCode(message('+8613800000002', '111111'));
    // Number 1 is texted again: number 2 is now the least recently texted, and goes when number 3 comes.
    await sms.sendVerificationCode(message('+8613800000001', '000005'));
    await sms.sendVerificationCode(message('+8613800000003', '333333'));
    expect(sms.sentTo('+8613800000002')).toEqual([]);
    expect(sms.sentTo('+8613800000001')).toHaveLength(3);
    expect(sms.sentTo('+8613800000003')).toHaveLength(1);
  });
});
