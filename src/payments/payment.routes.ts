import type { Clock } from '../platform/clock';
import { AppError, conflict, notFound } from '../platform/http/app-error';
import { page } from '../platform/http/paginate';
import type { Principal } from '../platform/http/principal';
import { toProblem } from '../platform/http/problem';
import { Reply, publicRoute, route, type RouteDef } from '../platform/http/routes';
import type { SandboxGateway } from './sandbox-gateway';
import type { NotificationOutcome, PaymentService } from './payment.service';
import type { PaymentRow } from './payment.entity';
import type { Request } from 'express';
import QRCode from 'qrcode';
import {
  CheckoutBody,
  PaymentParams,
  PaymentQuery,
  ProviderParams,
  RefundQuery,
  SandboxCheckoutBody,
  checkoutUrlOf,
  paymentDtos,
  toRefundDto,
} from './payment.schemas';

export function paymentRoutes(
  payments: PaymentService,
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
  ): Promise<{ outcome: NotificationOutcome; payment: ReturnType<typeof toPaymentDto> }> => {
    const signed = sandbox.notification(payment, outcome, clock.now());
    const result = await payments.handleNotification(sandbox.name, signed.headers, signed.body);
    return { outcome: result, payment: toPaymentDto(await payments.get(principal, payment.id)) };
  };
  const routes: RouteDef[] = [
    publicRoute({
      method: 'post',
      path: '/v1/payments/notifications/:provider',
      summary: 'Signed payment notification from a gateway',
      params: ProviderParams,
      rawBody: true,
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
      // No Idempotency-Key: a checkout moves no money, and asking again asks the provider for the same order (its number is the payment id).
      handle: async ({ principal, params, body, req }) => {
        const made = await payments.checkout(principal, params.id, { ...body, clientIp: req.ip, returnUrl: options.returnUrl(req, params.id) });
        const qrSvg =
          made.checkout.channel === 'qr' ? await QRCode.toString(made.checkout.qrCode, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 }) : undefined;
        return {
          payment: toPaymentDto(await payments.get(principal, params.id)),
          checkout: { provider: made.provider, expiresAt: made.expiresAt.toISOString(), ...made.checkout, ...(qrSvg ? { qrSvg } : {}) },
        };
      },
    }),
    route({
      method: 'get',
      path: '/v1/payments',
      summary: 'Payments, newest first, e.g. ?kind=unexpected for money the gateway took that we did not ask for (operator)',
      access: ['operator'],
      query: PaymentQuery,
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
      handle: async ({ principal, params }) => toPaymentDto(await payments.get(principal, params.id)),
    }),
    route({
      method: 'get',
      path: '/v1/refunds',
      summary: 'Refunds, e.g. ?status=failed for those the gateway refused (operator)',
      access: ['operator'],
      query: RefundQuery,
      handle: async ({ query }) => {
        const { items, total } = await payments.listRefunds(query, query.status);
        return page(items.map(toRefundDto), total, query);
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
        handle: async ({ principal, params, body }) => {
          const payment = await payments.get(principal, params.id);
          if (checkoutUrlOf(payment, sandbox) === null) throw notFound('A checkout for this payment');
          if (payment.status !== 'pending') {
            // Tapped twice, or the other button after the first: what is settled stays settled.
            if (payment.status === 'succeeded' || (payment.status === 'failed' && body.outcome === 'fail'))
              return { outcome: 'already_settled', payment: toPaymentDto(payment) };
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
        handle: async ({ principal, params }) =>
          sandboxReports(principal, await payments.get(principal, params.id), outcome === 'complete' ? 'succeeded' : 'failed'),
      }),
    );
  }
  return routes;
}
