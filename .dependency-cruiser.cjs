/**
 * The dependency rules of docs/architecture.md (§ Dependency direction), checked in CI by
 * `npm run lint:deps`: no cycles; each domain module imports only the modules its row allows; a domain
 * module is entered only through its index.ts; the platform knows no domain module.
 */
const MODULES = {
  accounts: ['platform'],
  factories: ['platform', 'accounts'],
  ledger: ['platform'],
  payments: ['platform', 'ledger'],
  notifications: ['platform'],
  campaigns: ['platform', 'factories'],
  pledges: ['platform', 'campaigns', 'payments', 'ledger', 'notifications'],
  forecasts: ['platform', 'campaigns', 'pledges', 'factories'],
  scheduling: ['platform'],
  subscriptions: ['platform', 'scheduling', 'payments', 'ledger', 'notifications', 'forecasts', 'factories'],
  storefront: ['platform', 'campaigns', 'subscriptions'],
  payouts: ['platform', 'ledger', 'campaigns', 'accounts', 'notifications'],
  shops: ['platform', 'accounts', 'campaigns', 'subscriptions', 'commissions'],
  commissions: ['platform', 'ledger', 'campaigns', 'subscriptions'],
  concepts: ['platform', 'campaigns'],
  marks: ['platform'],
  audit: ['platform'],
  'money-desk': ['platform', 'accounts', 'campaigns', 'pledges', 'payments', 'ledger', 'subscriptions', 'payouts'],
  figures: ['platform'],
};
const DOMAIN = Object.keys(MODULES);

module.exports = {
  forbidden: [
    { name: 'no-cycles', severity: 'error', comment: 'No import cycles, type-only imports included.', from: {}, to: { circular: true } },
    {
      name: 'platform-knows-no-module', severity: 'error', comment: 'The platform layer imports no domain module and no composition root.',
      from: { path: '^src/platform/' }, to: { path: `^src/(${DOMAIN.join('|')}|demo)/|^src/(app|main|cli|bootstrap)\\.ts$` },
    },
    ...Object.entries(MODULES).map(([module, allowed]) => ({
      name: `${module}-imports-only-${allowed.join('-')}`, severity: 'error',
      comment: `${module} may import ${allowed.join(', ')} (docs/architecture.md).`,
      from: { path: `^src/${module}/` },
      to: { path: '^src/', pathNot: [`^src/(${[module, ...allowed].join('|')})/`] },
    })),
    {
      name: 'modules-through-their-index', severity: 'error', comment: "Another module is entered only through its index.ts, never one of its files.",
      from: { path: `^src/(${DOMAIN.join('|')})/` },
      to: { path: `^src/(${DOMAIN.join('|')})/(?!index\\.ts$)`, pathNot: '^src/$1/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
