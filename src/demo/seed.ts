import type { App } from '../app';
import type { Logger } from '../platform/logger';

/** Demo accounts for trying the product on the embedded default. Their passwords are published in README.md. */
export const DEMO_ACCOUNTS = {
  operator: { email: 'operator@demo.c2m.local', password: 'demo-operator-2026' },
  consumer: { email: 'consumer@demo.c2m.local', password: 'demo-consumer-2026' },
  factory: { email: 'factory@demo.c2m.local', password: 'demo-factory-2026' },
  orchard: { email: 'orchard@demo.c2m.local', password: 'demo-orchard-2026' },
} as const;

/** Seeds once: a database that already has the demo operator is left alone. */
export async function seedDemoData(app: App, logger: Logger): Promise<{ seeded: boolean }> {
  const { accounts, factories } = app.services;
  const { created } = await accounts.ensureOperator({ ...DEMO_ACCOUNTS.operator, displayName: 'Demo operator' });
  if (!created) return { seeded: false };
  await accounts.register({ ...DEMO_ACCOUNTS.consumer, displayName: '小王 (demo consumer)' });
  const apparel = await factories.create({ name: '杭州羽绒服装厂 Hangzhou Down Apparel Co.', kind: 'manufacturer', contactEmail: 'sales@down-apparel.demo.c2m.local' });
  await factories.addUser(apparel.id, { ...DEMO_ACCOUNTS.factory, displayName: 'Apparel planner' });
  const orchard = await factories.create({ name: '海南阳光果园 Hainan Sunrise Orchard', kind: 'orchard', contactEmail: 'orders@sunrise-orchard.demo.c2m.local' });
  await factories.addUser(orchard.id, { ...DEMO_ACCOUNTS.orchard, displayName: 'Orchard manager' });
  logger.info({ accounts: Object.fromEntries(Object.entries(DEMO_ACCOUNTS).map(([k, v]) => [k, v.email])) }, 'demo data seeded (passwords in README.md)');
  return { seeded: true };
}
