import type { Clock } from '../platform/clock';
import { page } from '../platform/http/paginate';
import { publicRoute, route, type RouteDef } from '../platform/http/routes';
import type { SandboxGateway } from './sandbox-gateway';
import type { PaymentService } from './payment.service';
import { PaymentParams, PaymentQuery, ProviderParams, RefundQuery, toPaymentDto, toRefundDto } from './payment.schemas';

export function paymentRoutes(payments: PaymentService, sandbox: SandboxGateway, clock: Clock, options: { sandboxTestRoutes: boolean }): RouteDef[] {
  const routes: RouteDef[] = [
    publicRoute({
      method: 'post', path: '/v1/payments/notifications/:provider', summary: 'Signed payment notification from a gateway', params: ProviderParams, rawBody: true,
      handle: async ({ params, req }) => {
        const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v]));
        return { outcome: await payments.handleNotification(params.provider, headers, req.rawBody ?? Buffer.alloc(0)) };
      },
    }),
    route({
      method: 'get', path: '/v1/payments', summary: 'Payments, newest first, e.g. ?kind=unexpected for money the gateway took that we did not ask for (operator)', access: ['operator'], query: PaymentQuery,
      handle: async ({ query }) => {
        const { items, total } = await payments.list(query, { kind: query.kind, status: query.status });
        return page(items.map(toPaymentDto), total, query);
      },
    }),
    route({
      method: 'get', path: '/v1/payments/:id', summary: 'A payment (its consumer, or an operator)', access: ['consumer', 'operator'], params: PaymentParams,
      handle: async ({ principal, params }) => toPaymentDto(await payments.get(principal, params.id)),
    }),
    route({
      method: 'get', path: '/v1/refunds', summary: 'Refunds, e.g. ?status=failed for those the gateway refused (operator)', access: ['operator'], query: RefundQuery,
      handle: async ({ query }) => {
        const { items, total } = await payments.listRefunds(query, query.status);
        return page(items.map(toRefundDto), total, query);
      },
    }),
  ];
  if (!options.sandboxTestRoutes) return routes;
  // Test mode only (SANDBOX_TEST_ROUTES): play the sandbox gateway and send its signed notification through
  // the real path. Operators only: a consumer must never be able to mark their own money as received.
  for (const outcome of ['complete', 'fail'] as const) {
    routes.push(
      route({
        method: 'post', path: `/v1/payments/:id/sandbox/${outcome}`, summary: `Test mode: the sandbox gateway ${outcome === 'complete' ? 'confirms' : 'declines'} this payment`,
        access: ['operator'], params: PaymentParams,
        handle: async ({ principal, params }) => {
          const payment = await payments.get(principal, params.id);
          const signed = sandbox.notification(payment, outcome === 'complete' ? 'succeeded' : 'failed', clock.now());
          const result = await payments.handleNotification('sandbox', signed.headers, signed.body);
          return { outcome: result, payment: toPaymentDto(await payments.get(principal, params.id)) };
        },
      }),
    );
  }
  return routes;
}
