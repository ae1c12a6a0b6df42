import type { Clock } from '../platform/clock';
import { AppError, conflict, notFound } from '../platform/http/app-error';
import { page, pageOf } from '../platform/http/paginate';
import type { Principal } from '../platform/http/principal';
import { toProblem } from '../platform/http/problem';
import { Reply, publicRoute, route, type RouteDef } from '../platform/http/routes';
import { SANDBOX_EVENT_BODY, type SandboxGateway } from './sandbox-gateway';
import type { NotificationOutcome, PaymentService } from './payment.service';
import type { PaymentRow } from './payment.entity';
import type { Request } from 'express';
import QRCode from 'qrcode';
import { z } from 'zod';
import {
  CheckoutBody,
  CheckoutDocument,
  PaymentDocument,
  ProvidersDocument,
  RefundDocument,
  SandboxOutcome,
  type PaymentDto,
  PaymentParams,
  PaymentQuery,
  ProviderParams,
  RefundQuery,
  RetriedRefundDocument,
  RetryRefundBody,
  SandboxCheckoutBody,
  SandboxRefundFaultsBody,
  StatementDifferenceDocument,
  StatementDifferenceQuery,
  checkoutUrlOf,
  paymentDtos,
  toRefundDto,
  toStatementDifferenceDto,
} from './payment.schemas';
import type { PaymentReconciliation } from './reconciliation';

export function paymentRoutes(
  payments: PaymentService,
  reconciliation: PaymentReconciliation,
  sandbox: SandboxGateway,
  clock: Clock,
  options: {
    sandboxTestRoutes: boolean;
    /** Where a provider's page sends the consumer back after paying (the storefront's page of the payment). */
    returnUrl: (req: Request, paymentId: string) => string;
  },
): RouteDef[] {
  const toPaymentDto = paymentDtos(sandbox);
  /**
   * Plays the sandbox gateway: its signed notification that the payment succeeded or failed, through the
   * real notification path (verification, de-duplication, the listeners), as the gateway would send it.
   * What both the operators' test routes and the consumer's checkout sheet do.
   */
  const sandboxReports = async (
    principal: Principal,
    payment: PaymentRow,
    outcome: 'succeeded' | 'failed',
  ): Promise<{ outcome: NotificationOutcome; payment: PaymentDto }> => {
    const signed = sandbox.notification(payment, outcome, clock.now());
    const result = await payments.handleNotification(sandbox.name, signed.headers, signed.body);
    return { outcome: result, payment: toPaymentDto(await payments.get(principal, payment.id)) };
  };
  const routes: RouteDef[] = [
    publicRoute({
      method: 'post',
      path: '/v1/payments/notifications/:provider',
      summary:
        'Signed payment notification from a gateway (sandbox: X-Sandbox-Signature t=<unix>,v1=<hex HMAC-SHA256 of "t.body">, 5-minute window); replays change nothing',
      params: ProviderParams,
      rawBody: true,
      // The sandbox's acknowledgement; the route answers each provider as it expects (a Reply, not checked).
      response: z.object({ outcome: z.enum(['processed', 'duplicate', 'already_settled', 'unexpected']) }),
      doc: {
        description:
          "Each provider's notification in its own format (the body described is the sandbox's; Alipay posts a form), answered as that provider expects: the sandbox with the JSON below or a problem, WeChat Pay with 204 or `{code: 'FAIL'}`, Alipay with the text `success` or `fail`.",
        rawBody: SANDBOX_EVENT_BODY,
        headers: z.object({
          'X-Sandbox-Signature': z.string().optional().meta({ description: 'The sandbox\'s signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">' }),
        }),
        answer:
          "Recorded. `unexpected`: the gateway took money we did not ask for (an amount or currency other than the payment's, a second charge of a paid payment under another transaction id, or a payment we do not know); it is recorded as a payment of kind `unexpected` and refunded in full (`GET /v1/payments?kind=unexpected`).",
        problems: {
          401: '`invalid_signature`, `stale_notification`',
          404: '`not_found`: a payment.failed for a payment we do not know (nothing was taken)',
          422: '`amount_mismatch`, `currency_mismatch`: a payment.failed that does not match the payment (nothing was taken)',
        },
      },
      // Answered the way the provider expects (its acknowledgement), accepted or refused; an error of ours
      // (the database away) stays a 5xx problem, which every provider takes as "send it again".
      handle: async ({ params, req }) => {
        const gateway = payments.gateway(params.provider);
        const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v]));
        const answer = await payments.handleNotification(params.provider, headers, req.rawBody ?? Buffer.alloc(0)).then(
          (outcome) => gateway.acknowledgement({ accepted: true, outcome }),
          (error: unknown) => {
            if (!(error instanceof AppError) || error.status >= 500) throw error;
            return gateway.acknowledgement({ accepted: false, error, problem: toProblem(error, req) });
          },
        );
        return new Reply(answer.status, answer.contentType, answer.body);
      },
    }),
    publicRoute({
      method: 'get',
      path: '/v1/payments/providers',
      summary: 'The payment providers a consumer can pay at, and their checkouts (qr, h5, jsapi, sheet)',
      response: ProvidersDocument,
      handle: async () => ({ items: payments.providers() }),
    }),
    route({
      method: 'post',
      path: '/v1/payments/:id/checkout',
      summary:
        "Pay a pending payment at a provider: what the client needs (a QR code, a redirect, WeChat JSAPI parameters, the sandbox sheet), valid until the payment's deadline",
      access: ['consumer'],
      params: PaymentParams,
      body: CheckoutBody,
      response: CheckoutDocument,
      doc: { answer: 'The payment, and what the client needs to pay it at the provider' },
      // No Idempotency-Key: a checkout moves no money, and asking again asks the provider for the same order (its number is the payment id).
      handle: async ({ principal, params, body, req }) => {
        const made = await payments.checkout(principal, params.id, { ...body, clientIp: req.ip, returnUrl: options.returnUrl(req, params.id) });
        const checkout =
          made.checkout.channel === 'qr'
            ? { ...made.checkout, qrSvg: await QRCode.toString(made.checkout.qrCode, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 }) }
            : made.checkout;
        return {
          payment: toPaymentDto(await payments.get(principal, params.id)),
          checkout: { provider: made.provider, expiresAt: made.expiresAt.toISOString(), ...checkout },
        };
      },
    }),
    route({
      method: 'get',
      path: '/v1/payments/statement-differences',
      summary: "Differences between a provider's daily statement and our records, newest first, and what was done about each (operator)",
      access: ['operator'],
      query: StatementDifferenceQuery,
      response: pageOf(StatementDifferenceDocument),
      doc: {
        description:
          "Every morning (10:30 China time, once the providers' bills are ready) each provider's statement of the day before is compared with our payments and refunds (docs/payments.md). Money the provider took that we had no record of is settled through the notification path; a refund it paid out that we had not seen confirmed is confirmed; anything else is reported. Operators are notified (GET /v1/me/notifications, kind `statement_differences`).",
        answer: 'A page of differences',
      },
      handle: async ({ query }) => {
        const { limit, offset, ...where } = query;
        const { items, total } = await reconciliation.differences({ limit, offset }, where);
        return page(items.map(toStatementDifferenceDto), total, query);
      },
    }),
    route({
      method: 'get',
      path: '/v1/payments',
      summary: 'Payments, newest first, e.g. ?kind=unexpected for money the gateway took that we did not ask for (operator)',
      access: ['operator'],
      query: PaymentQuery,
      response: pageOf(PaymentDocument),
      doc: { answer: 'A page of payments' },
      handle: async ({ query }) => {
        const { items, total } = await payments.list(query, { kind: query.kind, status: query.status });
        return page(
          items.map((p) => toPaymentDto(p)),
          total,
          query,
        );
      },
    }),
    route({
      method: 'get',
      path: '/v1/payments/:id',
      summary: 'A payment (its consumer, or an operator)',
      access: ['consumer', 'operator'],
      params: PaymentParams,
      response: PaymentDocument,
      doc: { answer: 'The payment' },
      handle: async ({ principal, params }) => toPaymentDto(await payments.get(principal, params.id)),
    }),
    route({
      method: 'get',
      path: '/v1/refunds',
      summary: 'Refunds, newest first, e.g. ?status=failed for those the gateway refused, ?problem=attention for failed and stuck ones (operator)',
      access: ['operator'],
      query: RefundQuery,
      response: pageOf(RefundDocument),
      doc: { answer: 'A page of refunds' },
      handle: async ({ query }) => {
        const { items, total } = await payments.listRefunds(query, { status: query.status, problem: query.problem });
        return page(
          items.map((r) => toRefundDto(r, payments.isStuck(r))),
          total,
          query,
        );
      },
    }),
    route({
      method: 'post',
      path: '/v1/refunds/:id/retry',
      summary: 'Send a failed or stuck refund again now, with a reason (operator); never pays twice',
      access: ['operator'],
      params: PaymentParams,
      body: RetryRefundBody,
      idempotent: true,
      response: RetriedRefundDocument,
      doc: {
        description:
          "The provider is asked with the refund's own id, which it pays once: a refund it already paid (its answer lost) is recorded as paid out, not paid again. A refund the provider has under way is asked about first. The outcome is recorded only if the refund is still open, so a retry racing the refund job, or a second retry, changes nothing. A refund already paid out answers `already_paid_out`. The reason is kept in the audit log.",
        answer: 'What the provider answered, and the refund now',
        problems: { 409: '`refund_not_retryable`: pending or processing and not stuck yet (it is being sent, or the provider is finishing it)' },
      },
      handle: async ({ params }) => {
        const { refund, outcome } = await payments.retryRefund(params.id);
        return { outcome, refund: toRefundDto(refund, payments.isStuck(refund)) };
      },
    }),
  ];
  if (sandbox.channels.includes('sheet')) {
    // The demo's checkout sheet (SANDBOX_CHECKOUT): the consumer who owns a deposit or balance payment pays or
    // declines it, and the sandbox gateway reports it as it would after its own cashier page. Someone else's
    // payment is a 404, as everywhere. Asking again changes nothing: the gateway reports a payment once.
    routes.push(
      route({
        method: 'post',
        path: '/v1/payments/:id/sandbox-checkout',
        summary: "Sandbox checkout: the payment's consumer pays or declines it on the sheet (demo)",
        access: ['consumer'],
        params: PaymentParams,
        body: SandboxCheckoutBody,
        response: SandboxOutcome,
        doc: {
          description:
            'The sandbox gateway then reports the payment as it would after its own cashier page: its signed notification goes through the same path as POST /v1/payments/notifications/sandbox. A payment already paid answers `already_settled` and changes nothing (a double tap takes the money once); "fail" after a success changes nothing either. An Idempotency-Key header may be sent and is not needed: the payment\'s own state makes a repeat harmless.',
          answer: 'The notification was sent and recorded',
          problems: {
            403: '`forbidden`: only the consumer who owes the payment uses the sheet',
            404: "`not_found`: no such payment, another consumer's, or one not paid on a sheet (a fruit box is debited)",
            409: '`payment_not_pending`: the payment failed or was cancelled (the pledge lapsed): there is nothing to pay',
          },
        },
        handle: async ({ principal, params, body }) => {
          const payment = await payments.get(principal, params.id);
          if (checkoutUrlOf(payment, sandbox) === null) throw notFound('A checkout for this payment');
          if (payment.status !== 'pending') {
            // Tapped twice, or the other button after the first: what is settled stays settled.
            if (payment.status === 'succeeded' || (payment.status === 'failed' && body.outcome === 'fail'))
              return { outcome: 'already_settled' as const, payment: toPaymentDto(payment) };
            throw conflict(
              'payment_not_pending',
              `This payment is ${payment.status}: there is nothing to pay. ${payment.kind === 'balance' ? 'Ask for the balance payment again.' : 'Place the pledge again.'}`,
            );
          }
          return sandboxReports(principal, payment, body.outcome === 'pay' ? 'succeeded' : 'failed');
        },
      }),
    );
  }
  if (!options.sandboxTestRoutes) return routes;
  // Test mode only: the sandbox's refund faults (its failure switch), for tests that drive the service over HTTP
  // in another process (the console's browser test) as the in-process tests do with SandboxGateway.failNextRefunds.
  routes.push(
    route({
      method: 'post',
      path: '/v1/sandbox/refund-faults',
      summary: 'Test mode: the sandbox provider refuses (or leaves processing) its next refund calls; `clear` forgets those not played yet',
      access: ['operator'],
      body: SandboxRefundFaultsBody,
      response: null,
      status: 204,
      handle: async ({ body }) => {
        if (body.kind === 'clear') sandbox.clearRefundFaults();
        else if (body.kind === 'reject' || body.kind === 'reject_for_good') sandbox.failNextRefunds(body.count, { final: body.kind === 'reject_for_good' });
        else sandbox.processNextRefunds(body.count);
      },
    }),
  );
  // Test mode only (SANDBOX_TEST_ROUTES): play the sandbox gateway and send its signed notification through
  // the real path. Operators only: outside the demo's own checkout sheet (SANDBOX_CHECKOUT, refused in production
  // too), a consumer must never be able to mark their own money as received.
  for (const outcome of ['complete', 'fail'] as const) {
    routes.push(
      route({
        method: 'post',
        path: `/v1/payments/:id/sandbox/${outcome}`,
        summary: `Test mode: the sandbox gateway ${outcome === 'complete' ? 'confirms' : 'declines'} this payment`,
        access: ['operator'],
        params: PaymentParams,
        response: SandboxOutcome,
        doc: { answer: 'The notification was sent and recorded', problems: { 403: '`forbidden`: a consumer never marks a payment as paid' } },
        handle: async ({ principal, params }) =>
          sandboxReports(principal, await payments.get(principal, params.id), outcome === 'complete' ? 'succeeded' : 'failed'),
      }),
    );
  }
  return routes;
}
