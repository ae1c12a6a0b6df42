import { writeFileSync } from 'node:fs';
import { migrations } from '../migrations';
import { buildApp, entities } from './app';
import { parseConfig } from './platform/config';
import { openDatabase } from './platform/database';
import { OPENAPI_FILE, OPS_OPERATIONS, openApiDocument, toYaml, type RouteDef } from './platform/http';
import { createLogger } from './platform/logger';

const API_INFO = {
  title: 'C2M pre-sale demand aggregator API',
  version: '0.1.0',
  description: `Joint pre-orders with deposits, demand forecasts for factories, and fruit-box subscriptions.

* Money is a string with two decimals (\`"1000.00"\`), CNY.
* Errors are \`application/problem+json\` (RFC 9457) with a stable \`code\`; validation errors list
  each bad field in \`errors\`.
* Routes that move money require an \`Idempotency-Key\` header: the same key with the same body
  replays the first response (header \`Idempotent-Replayed: true\`); with a different body it is a
  422 \`idempotency_key_reused\`; while the first request is still running, a 409
  \`idempotency_request_in_flight\`.
* Lists take \`limit\` (1–100, default 20) and \`offset\`, and answer \`{items, total, limit, offset}\`.
* Any route may answer 503 \`database_unavailable\` (with \`Retry-After\`) when the database connection
  was lost while the request ran: nothing was half-written; retry it, with the same Idempotency-Key
  where the route takes one.
* Any route may answer 503 \`overloaded\` (the process already works on as many requests as it
  takes at once) or 503 \`starting\` (the service is still starting), with \`Retry-After\`: the
  request was not read and nothing was done; retry it after that many seconds.
`,
  tags: [
    ...['accounts', 'factories', 'campaigns', 'pledges', 'payments', 'forecasts', 'subscriptions'].map((name) => ({ name })),
    { name: 'payouts', description: 'Factory settlements and payouts (docs/payments.md § Factory settlements and payouts)' },
    { name: 'shops', description: 'Shop owners (小B): applications, shops and their pages, consumers bound to a shop owner (docs/shop-owners.md)' },
    {
      name: 'concepts',
      description: "Product concepts before launch: sample trials, shop owners' ratings, the product index and the launch gate (docs/selection.md)",
    },
    {
      name: 'marks',
      description:
        "红黑榜: shop owners' red (recommend) and black marks of campaigns, factories, brands and origins, ranked lists, factories' answers (docs/selection.md § 红黑榜)",
    },
    {
      name: 'jobs',
      description:
        "The operators' view of the job worker: counts and lag per job name, failed and given-up jobs, retry and cancel (docs/operator-console.md § Jobs)",
    },
    {
      name: 'audit',
      description: "The audit log: every operator's state-changing request, recorded before it runs, with its outcome (docs/operator-console.md § 审计日志)",
    },
    {
      name: 'money-desk',
      description:
        "The operator console's money desk: find any pledge, payment, refund, subscription or fruit box, read it whole, and the ledger board (docs/operator-console.md § Money)",
    },
    ...['storefront', 'operations'].map((name) => ({ name })),
  ],
};

/**
 * Every route the product can serve, the optional ones too (the sandbox's test routes and checkout sheet), from an
 * app built on an empty in-memory database and never served: what docs/openapi.yaml describes.
 */
export async function describedRoutes(): Promise<RouteDef[]> {
  const config = parseConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', SEED_DEMO_DATA: 'false', SANDBOX_TEST_ROUTES: 'true', SANDBOX_CHECKOUT: 'true' });
  const db = await openDatabase({ kind: 'sqlite', file: ':memory:' }, entities, migrations);
  try {
    const app = buildApp({
      config,
      db,
      logger: createLogger('silent'),
      clock: { now: () => new Date() },
      secrets: { auth: 'x'.repeat(32), sandbox: 'x'.repeat(32) },
      runsWorker: false,
    });
    return app.routes;
  } finally {
    await db.close();
  }
}

/** docs/openapi.yaml as the routes and their schemas make it now. */
export async function apiDescription(): Promise<string> {
  return toYaml(openApiDocument(API_INFO, await describedRoutes(), OPS_OPERATIONS));
}

/** `npm run openapi`: writes docs/openapi.yaml. */
if (require.main === module) {
  apiDescription()
    .then((yaml) => {
      writeFileSync(OPENAPI_FILE, yaml);
      console.log(`wrote ${OPENAPI_FILE}`);
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
}
