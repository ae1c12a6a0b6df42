import { createPrivateKey, createPublicKey, createSign, createVerify, generateKeyPairSync } from 'node:crypto';
import { AppError } from '../../src/platform/http/app-error';
import { parseTradeBill } from '../../src/payments/wechat-pay/tradebill';
import {
  SignatureRejected,
  authorization,
  decryptResource,
  jsapiParameters,
  sha256WithRsa,
  verifyWechatpaySignature,
} from '../../src/payments/wechat-pay/wechat-pay-crypto';

/**
 * The test key and SHA256withRSA vector of WeChat Pay's official Go SDK (wechatpay-apiv3/wechatpay-go,
 * utils/sign_test.go): signing "source" with this key must give exactly this signature.
 */
const SDK_TEST_KEY = createPrivateKey(`-----BEGIN PRIVATE KEY-----
MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDZUJN33V+dSfvd
fL0Mu+39XrZNXFFMQSy1V15FpncHeV47SmV0TzTqZc7hHB0ddqAdDi8Z5k3TKqb7
6sOwYr5TcAfuR6PIPaleyE0/0KrljBum2Isa2Nyq7Dgc3ElBQ6YN4l/a+DpvKaz1
FSKmKrhLNskqokWVSlu4g8OlKlbPXQ9ibII14MZRQrrkTmHYHzfi7GXXM0thAKuR
0HNvyhTHBh4/lrYM3GaMvmWwkwvsMavnOex6+eioZHBOb1/EIZ/LzC6zuHArPpyW
3daGaZ1rtQB1vVzTyERAVVFsXXgBHvfFud3w3ShsJYk8JvMwK2RpJ5/gV0QSARcm
LDRUAlPzAgMBAAECggEBAMc7rDeUaXiWv6bMGbZ3BTXpg1FhdddnWUnYE8HfX/km
OFI7XtBHXcgYFpcjYz4D5787pcsk7ezPidAj58zqenuclmjKnUmT3pfbI5eCA2v4
C9HnbYDrmUPK1ZcADtka4D6ScDccpNYNa1g2TFHzkIrEa6H+q7S3O2fqxY/DRVtN
0JIXalBb8daaqL5QVzSmM2BMVnHy+YITJWIkP2a3pKs9C0W65JGDsnG0wVrHinHF
+cnhFZIbaPEI//DAFMc9NkrWOKVRTEgcCUxCFaHOZVNxDWZD7A2ZfJB2rK6eg//y
gEiFDR2h6mTaDowMB4YF2n2dsIO4/dCG8vPHI20jn4ECgYEA/ZGu6lEMlO0XZnam
AZGtiNgLcCfM/C2ZERZE7QTRPZH1WdK92Al9ndldsswFw4baJrJLCmghjF/iG4zi
hhBvLnOLksnZUfjdumxoHDWXo2QBWbI5QsWIE7AuTiWgWj1I7X4fCXSQf6i+M/y2
6TogQ7d0ANpZFyOkTNMn/tiJvLECgYEA22XqlamG/yfAGWery5KNH2DGlTIyd6xJ
WtJ9j3jU99lZ0bCQ5xhiBbU9ImxCi3zgTsoqLWgA/p00HhNFNoUcTl9ofc0G3zwT
D1y0ZzcnVKxGJdZ6ohW52V0hJStAigtjYAsUgjm7//FH7PiQDBDP1Wa6xSRkDQU/
aSbQxvEE8+MCgYEA3bb8krW7opyM0XL9RHH0oqsFlVO30Oit5lrqebS0oHl3Zsr2
ZGgoBlWBsEzk3UqUhTFwm/DhJLTSJ/TQPRkxnhQ5/mewNhS9C7yua7wQkzVmWN+V
YeUGTvDGDF6qDz12/vJAgSwDDRym8x4NcXD5tTw7mmNRcwIfL22SkysThIECgYAV
BgccoEoXWS/HP2/u6fQr9ZIR6eV8Ij5FPbZacTG3LlS1Cz5XZra95UgebFFUHHtC
EY1JHJY7z8SWvTH8r3Su7eWNaIAoFBGffzqqSVazfm6aYZsOvRY6BfqPHT3p/H1h
Tq6AbBffxrcltgvXnCTORjHPglU0CjSxVs7awW3AEQKBgB5WtaC8VLROM7rkfVIq
+RXqE5vtJfa3e3N7W3RqxKp4zHFAPfr82FK5CX2bppEaxY7SEZVvVInKDc5gKdG/
jWNRBmvvftZhY59PILHO2X5vO4FXh7suEjy6VIh0gsnK36mmRboYIBGsNuDHjXLe
BDa+8mDLkWu5nHEhOxy2JJZl
-----END PRIVATE KEY-----`);
const SDK_SIGNATURE_OF_SOURCE =
  'BKyAfU4iMCuvXMXS0Wzam3V/cnxZ+JaqigPM5OhljS2iOT95OO6Fsuml2JkFANJU9K6q9bLlDhPXuoVz+pp4hAm6pHU4ld815U4jsKu1RkyaII+1CYBUYC8TK0XtJ8FwUXXz8vZHh58rrAVN1XwNyvD1vfpxrMT4SL536GLwvpUHlCqIMzoZUguLli/K8V29QiOhuH6IEqLNJn8e9b3nwNcQ7be3CzYGpDAKBfDGPCqCv8Rw5zndhlffk2FEA70G4hvMwe51qMN/RAJbknXG23bSlObuTCN7Ndj1aJGH6/L+hdwfLpUtJm4QYVazzW7DFD27EpSQEqA8bX9+8m1rLg==';
const SDK_TEST_PUBLIC_KEY = createPublicKey(SDK_TEST_KEY);
const verifies = (message: string, signature: string) => createVerify('RSA-SHA256').update(message).verify(SDK_TEST_PUBLIC_KEY, signature, 'base64');

describe('WeChat Pay API v3 signatures', () => {
  test('SHA256withRSA gives the official SDK vector', () => {
    expect(sha256WithRsa(SDK_TEST_KEY, 'source')).toBe(SDK_SIGNATURE_OF_SOURCE);
  });

  test("a request's Authorization signs the documentation's example signature string (GET /v3/certificates)", () => {
    // 签名生成: mchid 1900009191, serial 1DDE55AD…, GET /v3/certificates at 1554208460 with nonce 593BEC0C…, an empty body.
    const merchant = { mchid: '1900009191', serial: '1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C', privateKey: SDK_TEST_KEY };
    const header = authorization(merchant, {
      method: 'GET',
      pathAndQuery: '/v3/certificates',
      body: '',
      timestamp: 1554208460,
      nonce: '593BEC0C930BF1AFEB40B4A08C8FB242',
    });
    const match =
      /^WECHATPAY2-SHA256-RSA2048 mchid="1900009191",nonce_str="593BEC0C930BF1AFEB40B4A08C8FB242",signature="([^"]+)",timestamp="1554208460",serial_no="1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C"$/.exec(
        header,
      );
    expect(match).not.toBeNull();
    expect(verifies('GET\n/v3/certificates\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n\n', match![1])).toBe(true);
    // A POST signs its exact body, and the query is part of the path.
    const body = '{"mchid":"1900009191"}';
    const post = authorization(merchant, { method: 'POST', pathAndQuery: '/v3/x?a=1', body, timestamp: 1554208460, nonce: 'N' });
    expect(verifies(`POST\n/v3/x?a=1\n1554208460\nN\n${body}\n`, /signature="([^"]+)"/.exec(post)![1])).toBe(true);
  });

  test("JSAPI paySign signs appId\\ntimeStamp\\nnonceStr\\npackage\\n (the JSAPI documentation's example values)", () => {
    const merchant = { mchid: '1900009191', serial: '1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C', privateKey: SDK_TEST_KEY };
    const params = jsapiParameters(merchant, 'wx8888888888888888', 'wx201410272009395522657a690389285100', 1414561699, '5K8264ILTKCH16CQ2502SI8ZNMTM67VS');
    expect(params).toMatchObject({
      appId: 'wx8888888888888888',
      timeStamp: '1414561699',
      nonceStr: '5K8264ILTKCH16CQ2502SI8ZNMTM67VS',
      package: 'prepay_id=wx201410272009395522657a690389285100',
      signType: 'RSA',
    });
    expect(verifies('wx8888888888888888\n1414561699\n5K8264ILTKCH16CQ2502SI8ZNMTM67VS\nprepay_id=wx201410272009395522657a690389285100\n', params.paySign)).toBe(
      true,
    );
  });

  describe("verifying WeChat Pay's signature (answers and notifications)", () => {
    const platform = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const keys = new Map([['PUB_KEY_ID_0114232134912410000000000001', platform.publicKey]]);
    const body = Buffer.from('{"id":"EV-2018022511223320873"}');
    const now = new Date('2026-12-05T02:00:00Z');
    const signed = (overrides: Record<string, string> = {}, at = now, signedBody = body) => {
      const timestamp = String(Math.floor(at.getTime() / 1000));
      const nonce = 'fdasflkja484w';
      const signature = createSign('RSA-SHA256').update(`${timestamp}\n${nonce}\n${signedBody.toString()}\n`).sign(platform.privateKey, 'base64');
      return {
        'wechatpay-timestamp': timestamp,
        'wechatpay-nonce': nonce,
        'wechatpay-signature': signature,
        'wechatpay-serial': 'PUB_KEY_ID_0114232134912410000000000001',
        'wechatpay-signature-type': 'WECHATPAY2-SHA256-RSA2048',
        ...overrides,
      };
    };
    const refusal = (headers: Record<string, string | undefined>, at = now, given = body) => {
      try {
        verifyWechatpaySignature(headers, given, keys, at);
      } catch (error) {
        if (error instanceof SignatureRejected) return { message: error.message, stale: error.stale };
        throw error;
      }
      return undefined;
    };

    test('a genuine signature within 5 minutes passes, on either side of now', () => {
      expect(refusal(signed())).toBeUndefined();
      expect(refusal(signed({}, new Date(now.getTime() - 300_000)))).toBeUndefined();
      expect(refusal(signed({}, new Date(now.getTime() + 300_000)))).toBeUndefined();
    });

    test('a changed body, another key, an unknown serial, a probe or a missing header is refused', () => {
      expect(refusal(signed(), now, Buffer.from('{"id":"EV-2"}'))?.message).toMatch(/does not match/);
      const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const forged = createSign('RSA-SHA256')
        .update(`${signed()['wechatpay-timestamp']}\nfdasflkja484w\n${body.toString()}\n`)
        .sign(other.privateKey, 'base64');
      expect(refusal(signed({ 'wechatpay-signature': forged }))?.message).toMatch(/does not match/);
      expect(refusal(signed({ 'wechatpay-serial': '5157F09EFDC096DE15EBE81A47057A7232F0E2C3' }))?.message).toMatch(/key we do not have/);
      expect(refusal(signed({ 'wechatpay-signature': 'WECHATPAY/SIGNTEST/abcdefg' }))?.message).toMatch(/probe/);
      expect(refusal(signed({ 'wechatpay-signature-type': 'WECHATPAY2-SM2-WITH-SM3' }))?.message).toMatch(/signature type/);
      expect(refusal({ ...signed(), 'wechatpay-nonce': undefined })?.message).toMatch(/not signed/);
    });

    test('a genuine signature more than 300 s away is stale (a replay)', () => {
      expect(refusal(signed({}, new Date(now.getTime() - 301_000)))).toEqual({ message: expect.stringMatching(/300 seconds/), stale: true });
      expect(refusal(signed({}, new Date(now.getTime() + 301_000)))?.stale).toBe(true);
    });
  });
});

describe('AEAD_AES_256_GCM notification resources', () => {
  // wechatpay-axios-plugin's published vector (tests/lib/aes.test.js): key, IV and AAD as given, "hello" encrypted.
  const key = Buffer.from('0123456789abcdef0123456789abcdef');
  const resource = { algorithm: 'AEAD_AES_256_GCM', ciphertext: 'APoZlYpivU3HjbAiB4CvW1rAFr8J', nonce: '0123456789abcdef', associated_data: 'world' };

  test('decrypts the published vector', () => {
    expect(decryptResource(key, resource)).toBe('hello');
  });

  test('another APIv3 key, other associated data, an altered ciphertext or another algorithm is refused', () => {
    const refused = (r: typeof resource, k = key) => {
      try {
        decryptResource(k, r);
      } catch (error) {
        return error instanceof AppError ? `${error.status} ${error.code}` : String(error);
      }
      return 'decrypted';
    };
    expect(refused(resource, Buffer.from('0123456789abcdef0123456789abcdeX'))).toBe('400 validation_failed');
    expect(refused({ ...resource, associated_data: 'transaction' })).toBe('400 validation_failed');
    const altered = Buffer.from(resource.ciphertext, 'base64');
    altered[0] ^= 1;
    expect(refused({ ...resource, ciphertext: altered.toString('base64') })).toBe('400 validation_failed');
    expect(refused({ ...resource, algorithm: 'AEAD_SM4_GCM' })).toBe('400 validation_failed');
  });
});

describe('the trade bill (交易账单)', () => {
  const header =
    '交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注';
  const paymentNo = '0f8fad5bd9cb469fa16570867728950e';
  const refundNo = '7c9e6679742540de944be07fc1f90ae7';
  const bill = [
    header,
    `\`2026-12-04 10:31:49,\`wxd678efh567hg6787,\`1900009191,\`0,\`,\`4200000123202612041234567890,\`${paymentNo},\`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,\`JSAPI,\`SUCCESS,\`OTHERS,\`CNY,\`199.99,\`0.00,\`0,\`0,\`0.00,\`0.00,\`,\`,\`羽绒服定金, 黑色 M,\`,\`1.20000,\`0.60%,\`199.99,\`0.00,\``,
    `\`2026-12-04 23:59:59,\`wxd678efh567hg6787,\`1900009191,\`0,\`,\`4200000123202612041234567890,\`${paymentNo},\`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,\`JSAPI,\`REFUND,\`OTHERS,\`CNY,\`0.00,\`0.00,\`50000123202612041234567,\`${refundNo},\`50.00,\`0.00,\`ORIGINAL,\`SUCCESS,\`羽绒服定金, 黑色 M,\`,\`-0.30000,\`0.60%,\`0.00,\`50.00,\``,
    '总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额',
    '`2,`199.99,`50.00,`0.00,`0.90000,`199.99,`50.00',
    '',
  ].join('\r\n');

  test('reads payments and refunds by column name, amounts exact in yuan, times as Beijing time, the summary left out', () => {
    const lines = parseTradeBill(bill);
    expect(lines.map((l) => ({ ...l, amount: l.amount.toFixed(2), at: l.at.toISOString() }))).toEqual([
      {
        kind: 'payment',
        paymentId: '0f8fad5b-d9cb-469f-a165-70867728950e',
        refundId: null,
        transactionId: '4200000123202612041234567890',
        amount: '199.99',
        currency: 'CNY',
        at: '2026-12-04T02:31:49.000Z',
      },
      {
        kind: 'refund',
        paymentId: '0f8fad5b-d9cb-469f-a165-70867728950e',
        refundId: '7c9e6679-7425-40de-944b-e07fc1f90ae7',
        transactionId: '4200000123202612041234567890',
        amount: '50.00',
        currency: 'CNY',
        at: '2026-12-04T15:59:59.000Z',
      },
    ]);
  });

  test('an order number not of ours reads as no payment id; a malformed row is refused, not skipped', () => {
    expect(parseTradeBill(bill.replaceAll(paymentNo, '1217752501201407033233368018'))[0].paymentId).toBeNull();
    expect(() => parseTradeBill(bill.replace('`0.60%,`199.99', '`0.60%,`199.999'))).toThrow(/not a money amount/);
    expect(() => parseTradeBill(bill.replace('`2026-12-04 10:31:49', '2026-12-04 10:31:49'))).toThrow(/backtick/);
    expect(() => parseTradeBill(bill.replace('申请退款金额', '申请金额').replace(',退款金额', ',退款额'))).toThrow(/no column 退款金额/);
  });
});
