import { generateKeyPairSync } from 'node:crypto';
import { AlipayGateway, alipayConfig, type AlipayConfig } from '../../src/payments';
import { parseMoney } from '../../src/platform/money';
import { rsa2Sign, rsa2Verify, signingString } from '../support/fake-alipay';

/**
 * RSA2 (SHA256withRSA) with fixed vectors: keys made once with openssl (test keys, never used anywhere
 * else), and the signatures computed by `openssl dgst -sha256 -sign` over the strings below, so neither
 * our code nor alipay-sdk grades its own work. RSA PKCS#1 v1.5 signatures are deterministic.
 */

/** The application key, PKCS#1 ("RSA PRIVATE KEY", what openssl genrsa -traditional writes). */
const APP_PRIVATE_KEY = `-----BEGIN RSA PRIVATE KEY-----
MIIEogIBAAKCAQEAwQ7XndNvXjRVCkR1RMvq8M3l2+foujN7jVOUob6LOavYmiuN
sSOrvvXScAkuMERAHA9FzgFwSHApTNeyTOvLbcERsiQ0uVyHCbFEIt7aZycwEuZ0
HXJXdmLY033v8mFgOX3yQMRR98y18SxV2gejUwdRSULJRLGxIZQdmRRX+FkdUxBd
UJS69rH7PKHtLpBuTkrnQ6dvLxTzR4JdJHNE2On7LWOOFzORsP+l6SvOMMPCLueO
5wPBZzkK8XEpgWWRc6kJgWMOrt0LlB3zs9wHb3wUO97ezPrZBWOairDdM3BJfBaG
Fbplvtb3cFv3d8ICMGBJoCUs80aau999blbjFQIDAQABAoIBAFq36sITNOYDmWJ1
wNVPLVtypWyskUPOJWTHvbQzoaC8C9CGXtK6fF4DjZtv9PBhYe7NjnO7YVPowL+H
LBXRR4qPiw02zj+8Jwh68BWiuuZ2F7UJ7c5YiJjs4g6fwz0WXO0nLcsZdZsH6wcl
WkJWDH1bluriI0nQZfftbesdECl2hQzodO1Jj+ZdWk1+DdWqd3JthbztbiYCvDb5
1DpCLDz4UVwlMboMrwTa6oBcBNjB720zOzRpRVeyBHVUloDBX0bPPYCGcJygLagj
MoEKT6qExFV8sY6l5WFRS66tlLYT2U6BZuIk3GfkyGviscsuPPV7YgaRRPmhcp6Z
9GbSxxECgYEA8gdw2nkv09OcMeZyPXWxzcwIZxZvQXHiAsNh//R+CBSP9HT1hO4Z
RsKnisNFN3VG3jyU+5r3HnC1fld0iyPItmfnpVdbjvmy/YG8zltUPVCGK62w62uk
NmR+VZ0WypP9dnvcGu7fELhLS6Dif8xV237apK091ZWoOxnFjvnMPYsCgYEAzDO8
faPEjmx+OPhZSgJrIwMIeeeyyHYAR5YhqtxxzvIiPq2aHHPUwX3W9tgJ/bzcfFfq
bf4J1DMiyY5fm8LL+N7g+ill46KJf/Q/NTRhNmEo7NN3WADhsOZVt0/hqtleA6Cs
4/TqcK8m4m+3/68ldU0iXFh1U8AfFh1btdr+td8CgYA1+D7MGPX3UFqmLfMPjW0m
rPa6th/9Af4aC6OQxd5MwvkO0/3jtIxiYQmnQb/vi/FPoUa/jGDKout1zt6oIESj
mCvpjL9X9IpbSVDm2yq/uXMRzluDQ6+MiYA6axsn9TQx9ZCxWM7ZFZ+Er82SHeiP
V4w96Hu/Yu3ur+KD7WQD3QKBgHj42VyxLVuWqHxFnFf88M1wGZBmlAKv7WB7b3yS
VhXcWi85l0ft0wfB7hyURe78+L3tM2NwERCWLrCrWLalA0NvfmaVKdheTQjxgJSb
cE/P5XfPmy8Wbp3nBravayhU155cjLALQuv4x5dzydR+RTmltYpxmShBc+kdAVzN
3QGPAoGAa3iPOJb2s0rEzakgcMqg/S69p4TBvsJDoAE0+gbpvG33wwcVKf6f901O
l1LMW0Jj7ve82v19qgHqFbS2NIKBh7R9Ft+Ht2kT4mbBGeal4jFcv5bfeGcC2EfN
DqqpM4MkJQVoSlaqr+39EpcrnekIN8A68ZoDFqvB4cSE7sQQkM4=
-----END RSA PRIVATE KEY-----`;
/** The test's "Alipay" key, PKCS#8; its public half as the open platform shows it (bare base64). */
const ALIPAY_PRIVATE_KEY = `-----BEGIN PRIVATE KEY-----
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCbYJZYS1nVmV//
tBXJZ5qxAaMArGm9HGZuRgUBIXQg63cYaJQeHQdrUm0uBZ3MvqGFtdgSJ+jtTyx9
YhKCqxsmhoMKQlrNRrbmzCYhBSkRMk5ADtFByhFdTUMhVLZzWNTU/1n9uvOoJKgH
kCeUEDOds96WNwq+vqSJ2HPBvvQJrrQk5pBwpHgyxRuFAlFD54WpJu+5s14OoOJW
DNmm7NWfe4EFxh7j83uujb4It9Y4++yAKyE4vv4jP9CNL2y0q/kPQLy0Z0ft4WGZ
buC6JjvgRUTGQh7BBrqOu9Ze4+N8b3Y+XiZdbtd4Br72odda+3jVu4MrbAiyscqf
Pp20osKTAgMBAAECggEAMFMfD4EIBK36NI4vBIALlafbqZb2IBIYLY3reomME70I
QngsMR14NEHjoR+wD4DuvaZr+GGfSUeJn8mD1k4fWKEXWnZ+xT+MHUY7SaPQPP/3
ZGb3YE3Xjrw7977gLAnh0AlHVOnzZEVaWVfVZ3COjSrnPLMLzX1/sTu37PdV8Th/
ud4Y3oK0FmmdBEr3exWhBh9CKCFrZgoI66QFSKzga11kdSu+ge4lteSG8cVpk6av
9VcLu5bDDx9BvOGvxeD/rILa1AIjQY6IXosQZ5bhOl75D4H7XU2iTsVw1jmx2ZJp
u0E4vbFyNio78N5PsfIPaytFDCTY34cAmQxAcBPuYQKBgQDPRKNGvqSO/iAu1wGN
Za1Vi1EJmrtbv2deFKuoUr7Z1h6EpMwvW15WrYhoSPc9auzgUDeu0wwwmk4Z9MSl
4jRnm5yTIOrxc/hMWc+bKycofC4Nqh5VTJ2tCkHMvtdEvFyV+Ajs8x6dbGKhcurM
W65Ck+wnvpJ0zJkPLBUcI/oHIwKBgQC/6KrYGYUygFgRUSA0UACWuw04TiwzGOl5
vA+7mZs/+A/PXwB+6q0wGyd2DFxXu8GcWEEZ65bDD9EJBYQZ1U7xoDiF+lxiFcOH
9A8QeVcbg4mATPIHIXrnm51MCAkAhcTwzqQ/pVcyzbRkHC8axM12/5M+pW6FPLiQ
CyvmHLfF0QKBgQCMTL/hQWcOzAJo8m1Ak1TzlOxz/eNZRYTo8EEKHYjG1+OskgkM
/WIsdibhwJJrZpeVd3dZxc54j9rSQxdh2m7yuykPhrbCXmfy9tBLDrjg9L4Pzdne
j5Aj8896kqwRARgDA/S2wBM3KIjTFIDPeDfLJWoztRJaMaxh0ssvU0MJ1QKBgEjg
2sBmMKcVBlzNKiWznAWh00tmpHJjK4cHXBIqK0MHuTlPIqkQBeUW6s1xtD+9FbGB
8ncdeItrHj8G0TvePbSU2+JFSYAWM8MVdAMVkXbpZPZMQj1jAYGjHwEYrBJ+umOY
ldd1ur+YTsEV0u2ff0eJlylbObVvcceB9pHUphWBAoGAbzjBMbXY5j3xvoOx50Tk
LbZ276fwMCI+mpi4uTwkvhHWpWGnrluNSfy+BCVdpQW2YxIWtZ9ZP3NAnaxFRbvL
9b9IGwUPkzP01g3cuzpTkNYxvggbsV0d+osbvjW4NSCmLOcWibqjaM6Ye4dwEtGz
5sNqcCwsRZ6+w6rAD6wsvz4=
-----END PRIVATE KEY-----`;
const ALIPAY_PUBLIC_KEY =
  'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAm2CWWEtZ1Zlf/7QVyWeasQGjAKxpvRxmbkYFASF0IOt3GGiUHh0Ha1JtLgWdzL6hhbXYEifo7U8sfWISgqsbJoaDCkJazUa25swmIQUpETJOQA7RQcoRXU1DIVS2c1jU1P9Z/brzqCSoB5AnlBAznbPeljcKvr6kidhzwb70Ca60JOaQcKR4MsUbhQJRQ+eFqSbvubNeDqDiVgzZpuzVn3uBBcYe4/N7ro2+CLfWOPvsgCshOL7+Iz/QjS9stKv5D0C8tGdH7eFhmW7guiY74EVExkIewQa6jrvWXuPjfG92Pl4mXW7XeAa+9qHXWvt41buDK2wIsrHKnz6dtKLCkwIDAQAB';

const ENV = {
  ALIPAY_APP_ID: '2014072300007148',
  ALIPAY_PRIVATE_KEY: APP_PRIVATE_KEY,
  ALIPAY_PUBLIC_KEY,
  ALIPAY_NOTIFY_URL: 'https://shop.example.com/v1/payments/notifications/alipay',
};

function config(env: Record<string, string | undefined> = ENV): AlipayConfig {
  const parsed = alipayConfig(env);
  if (!('config' in parsed) || !parsed.config) throw new Error(`not configured: ${JSON.stringify(parsed)}`);
  return parsed.config;
}

/** A wap.pay page request, its parameters as signed (biz_content as the adapter writes it). */
const H5_SIGNED =
  'alipay_sdk=alipay-sdk-nodejs-4.0.0&app_id=2014072300007148&biz_content={"out_trade_no":"0d5b5a8e3c4a4b7e9f6a2f7d1c9e8b10","total_amount":"88.80","subject":"羽绒服 定金","time_expire":"2026-12-05 10:15:00","product_code":"QUICK_WAP_WAY","quit_url":"https://shop.example.com/pay/done"}&charset=utf-8&method=alipay.trade.wap.pay&notify_url=https://shop.example.com/v1/payments/notifications/alipay&return_url=https://shop.example.com/pay/done&sign_type=RSA2&timestamp=2026-12-05 10:00:00&version=1.0';
const H5_SIGNATURE =
  'EDvXTI0z348bE3F5RdYoVN2GE3tfZuIshp46BzNgSVO5ODgCkc81aoEfFoX6XTTa5wTl+3g5BamXioKecQ08thk4/8Nk7UdzuoBHZnOkXqe9pDpCVUiA8UeZv1+O1GM3tIgjr4OaR0B/+bfNenbrEpjvBJ9WjEY9f8rj4Acg9LH2ohLXgfHPdgbpu+J1X7KcFyLxkv+Tv5DofIQrfuebRXy/t5rsaRowldcKA5zFlGD/SshH7L9MhprTOF6O5t2ig3kPwchm0+jZc2Rfvr8T3B6z6t3nUil3bTG8V7BM4pU0uZZTyJ6/bV5/+EsxSz2xCohuf0PK12sAhCFt0UtjAQ==';

/** A paid notification with the published example values (app, buyer, seller, trade number, notify id) and one of our order numbers. */
const NOTIFICATION_SIGNED =
  'app_id=2014072300007148&auth_app_id=2014072300007148&buyer_id=2088102122524333&buyer_logon_id=159****5620&buyer_pay_amount=20.00&charset=utf-8&gmt_create=2013-11-27 15:45:00&gmt_payment=2013-11-27 15:45:57&invoice_amount=20.00&notify_id=ac05099524730693a8b330c5ecf72da9786&notify_time=2013-11-27 15:45:58&notify_type=trade_status_sync&out_trade_no=0d5b5a8e3c4a4b7e9f6a2f7d1c9e8b10&receipt_amount=20.00&seller_email=zhuzhanghu@alitest.com&seller_id=2088101106499364&subject=羽绒服 定金&total_amount=20.00&trade_no=2013112011001004330000121536&trade_status=TRADE_SUCCESS&version=1.0';
const NOTIFICATION_SIGNATURE =
  'SPvmn0+iaLc9FgNF4+LNUdLv95kW5ClZcd7QLmTcZ5ush3rn6vvqg08V7YdVWZv0fHQgBbg+RLRaHR+HbCsjQBEHZD6bqEn04h+BuHckmAuThwafvezq650A/FzEuR50q7f64il6O3bahdU5ZKSXU/M0QER+6Kgaj8DmAPYchgk8rm6HAnu7hjUxNDcVwoVlC6ihdH3/xo8Wntv+ZsQe4/A1KOdR5Uqa78gRFviaFXjyUMi2/CufqaPfjEeVA6y7aCbw1faSdiDRvTnQCJL8TszNYLVtxTgb0V5kkUO0BCgAWcE4FHhMmAv8muc8h8CTcOgRGfDsAOjeYWySYTEPDQ==';

const fields = (signed: string): Record<string, string> =>
  Object.fromEntries(signed.split('&').map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]));
const form = (f: Record<string, string>) => Buffer.from(new URLSearchParams(f).toString());
const FORM_HEADERS = { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' };
/** 15:46 China time on the day of the example notification. */
const NOTIFIED = new Date('2013-11-27T07:46:00Z');

describe('signing (the fake’s own implementation of the published rule)', () => {
  test('the string to sign: non-empty parameters but sign (and sign_type for a notification), ASCII order, raw values', () => {
    expect(signingString({ b: '2', a: '1', sign: 'x', empty: '', c: 'a b&' }, ['sign'])).toBe('a=1&b=2&c=a b&');
    const notification = { ...fields(NOTIFICATION_SIGNED), sign_type: 'RSA2', sign: 'x' };
    expect(signingString(notification, ['sign', 'sign_type'])).toBe(NOTIFICATION_SIGNED);
  });

  test('SHA256withRSA in base64 matches openssl', () => {
    expect(rsa2Sign(H5_SIGNED, APP_PRIVATE_KEY)).toBe(H5_SIGNATURE);
    expect(rsa2Sign(NOTIFICATION_SIGNED, ALIPAY_PRIVATE_KEY)).toBe(NOTIFICATION_SIGNATURE);
    expect(rsa2Verify(NOTIFICATION_SIGNED, NOTIFICATION_SIGNATURE, `-----BEGIN PUBLIC KEY-----\n${ALIPAY_PUBLIC_KEY}\n-----END PUBLIC KEY-----`)).toBe(true);
    expect(
      rsa2Verify(
        NOTIFICATION_SIGNED.replace('20.00', '20.01'),
        NOTIFICATION_SIGNATURE,
        `-----BEGIN PUBLIC KEY-----\n${ALIPAY_PUBLIC_KEY}\n-----END PUBLIC KEY-----`,
      ),
    ).toBe(false);
  });
});

describe('the adapter (alipay-sdk as configured by it)', () => {
  afterEach(() => jest.useRealTimers());

  test('a phone checkout is the wap.pay URL signed over exactly the published string, amounts in yuan with two decimals, times in China time', async () => {
    jest.useFakeTimers({ now: new Date('2026-12-05T02:00:00Z'), doNotFake: ['nextTick', 'setImmediate'] });
    const checkout = await new AlipayGateway(config()).createPayment({
      paymentId: '0d5b5a8e-3c4a-4b7e-9f6a-2f7d1c9e8b10',
      description: '羽绒服 定金',
      amount: parseMoney('88.8'),
      currency: 'CNY',
      channel: 'h5',
      expiresAt: new Date('2026-12-05T02:15:00Z'),
      returnUrl: 'https://shop.example.com/pay/done',
    });
    if (checkout.channel !== 'h5') throw new Error(checkout.channel);
    const url = new URL(checkout.redirectUrl);
    expect(`${url.origin}${url.pathname}`).toBe('https://openapi.alipay.com/gateway.do');
    const params = Object.fromEntries(url.searchParams);
    expect(signingString(params, ['sign'])).toBe(H5_SIGNED);
    expect(params.sign).toBe(H5_SIGNATURE);
  });

  test('an amount finer than a fen, or another currency, is refused before anything is signed', async () => {
    const gateway = new AlipayGateway(config());
    const request = {
      paymentId: '0d5b5a8e-3c4a-4b7e-9f6a-2f7d1c9e8b10',
      description: 'x',
      currency: 'CNY',
      channel: 'h5' as const,
      expiresAt: new Date(),
      returnUrl: 'https://shop.example.com/',
    };
    await expect(gateway.createPayment({ ...request, amount: parseMoney('1').dividedBy(3) })).rejects.toThrow(/not a whole number of fen/);
    await expect(gateway.createPayment({ ...request, amount: parseMoney('0') })).rejects.toThrow(/at least 0.01/);
    await expect(gateway.createPayment({ ...request, amount: parseMoney('1'), currency: 'USD' })).rejects.toThrow(/CNY only/);
  });

  test('a notification signed by Alipay over the published string is read; one field changed, or signed by another key, is refused', () => {
    const gateway = new AlipayGateway(config());
    const genuine = { ...fields(NOTIFICATION_SIGNED), sign_type: 'RSA2', sign: NOTIFICATION_SIGNATURE };
    expect(gateway.verifyNotification(FORM_HEADERS, form(genuine), NOTIFIED)).toMatchObject({
      id: 'ac05099524730693a8b330c5ecf72da9786',
      type: 'payment.succeeded',
      paymentId: '0d5b5a8e-3c4a-4b7e-9f6a-2f7d1c9e8b10',
      currency: 'CNY',
      transactionId: '2013112011001004330000121536',
    });
    expect(gateway.verifyNotification(FORM_HEADERS, form(genuine), NOTIFIED).amount.toFixed(2)).toBe('20.00');
    const refused = (f: Record<string, string>) => {
      try {
        gateway.verifyNotification(FORM_HEADERS, form(f), NOTIFIED);
      } catch (error) {
        return (error as { code?: string }).code;
      }
      return 'accepted';
    };
    expect(refused({ ...genuine, total_amount: '0.01' })).toBe('invalid_signature');
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    expect(refused({ ...genuine, sign: rsa2Sign(NOTIFICATION_SIGNED, other) })).toBe('invalid_signature');
    expect(refused({ ...genuine, sign_type: 'RSA' })).toBe('invalid_signature');
    // Genuine, but two days after it was sent: Alipay stops retrying after about 25 hours.
    expect(() => gateway.verifyNotification(FORM_HEADERS, form(genuine), new Date(NOTIFIED.getTime() + 49 * 3_600_000))).toThrow(/replay/);
    // The same field twice: one copy could be verified and the other read.
    expect(() => gateway.verifyNotification(FORM_HEADERS, Buffer.concat([form(genuine), Buffer.from('&total_amount=0.01')]), NOTIFIED)).toThrow(/twice/);
    expect(() => gateway.verifyNotification({ 'content-type': 'application/json' }, form(genuine), NOTIFIED)).toThrow(/form/);
  });
});

describe('configuration', () => {
  test('no ALIPAY_ variable: off; the keys in any form Alipay’s tools write (PKCS#1 or PKCS#8, PEM or bare base64) are read', () => {
    expect(alipayConfig({})).toEqual({ config: undefined });
    expect(alipayConfig({ ALIPAY_APP_ID: '' })).toEqual({ config: undefined });
    const pkcs8 = config().privateKey;
    expect(pkcs8).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    const bare = pkcs8.replace(/-----[A-Z ]+-----|\s/g, '');
    expect(config({ ...ENV, ALIPAY_PRIVATE_KEY: bare }).privateKey).toBe(pkcs8);
    expect(config({ ...ENV, ALIPAY_PUBLIC_KEY: `-----BEGIN PUBLIC KEY-----\n${ALIPAY_PUBLIC_KEY}\n-----END PUBLIC KEY-----` }).alipayPublicKey).toBe(
      config().alipayPublicKey,
    );
    expect(config().gatewayUrl).toBe('https://openapi.alipay.com/gateway.do');
  });

  test('partly or wrongly configured: every problem, each saying what to do', () => {
    const problems = (env: Record<string, string>) => {
      const parsed = alipayConfig(env);
      return 'problems' in parsed ? parsed.problems : [];
    };
    expect(problems({ ALIPAY_APP_ID: '2014072300007148' })).toEqual([
      expect.stringMatching(/^ALIPAY_PRIVATE_KEY: is required/),
      expect.stringMatching(/^ALIPAY_PUBLIC_KEY: is required/),
      expect.stringMatching(/^ALIPAY_NOTIFY_URL: is required/),
    ]);
    expect(
      problems({
        ...ENV,
        ALIPAY_APP_ID: 'wx123',
        ALIPAY_PRIVATE_KEY_FILE: '/nonexistent/app.pem',
        ALIPAY_PUBLIC_KEY: 'not a key',
        ALIPAY_NOTIFY_URL: 'ftp://x',
        ALIPAY_GATEWAY_URL: 'gateway',
        ALIPAY_TIMEOUT_MS: '5',
      }),
    ).toEqual([
      expect.stringMatching(/^ALIPAY_APP_ID: must be the application's APPID/),
      'ALIPAY_PRIVATE_KEY: set ALIPAY_PRIVATE_KEY or ALIPAY_PRIVATE_KEY_FILE, not both',
      expect.stringMatching(/^ALIPAY_PUBLIC_KEY: is not an RSA public key/),
      expect.stringMatching(/^ALIPAY_NOTIFY_URL: must be an absolute http\(s\) URL/),
      expect.stringMatching(/^ALIPAY_GATEWAY_URL: must be an absolute/),
      expect.stringMatching(/^ALIPAY_TIMEOUT_MS:/),
    ]);
    // The commonest mistake: the application's own public key where Alipay's belongs.
    const own = generateKeyPairSync('rsa', { modulusLength: 2048 });
    expect(
      problems({
        ...ENV,
        ALIPAY_PRIVATE_KEY: own.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
        ALIPAY_PUBLIC_KEY: own.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      }),
    ).toEqual([expect.stringMatching(/^ALIPAY_PUBLIC_KEY: is the application's own public key/)]);
    expect(problems({ ...ENV, ALIPAY_PUBLIC_KEY: APP_PRIVATE_KEY })).toEqual([expect.stringMatching(/^ALIPAY_PUBLIC_KEY: is a private key/)]);
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(problems({ ...ENV, ALIPAY_PRIVATE_KEY: small })).toEqual([expect.stringMatching(/at least 2048 bits/)]);
    expect(problems({ ...ENV, NODE_ENV: 'production', ALIPAY_NOTIFY_URL: 'http://shop.example.com/n' })).toEqual([
      expect.stringMatching(/must be an absolute https URL/),
    ]);
  });
});
