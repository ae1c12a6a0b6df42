export { ShopBindingRow, ShopConsentEventRow, ShopConsentRow, ShopRow, ShopVisitRow } from './shop.entity';
export { ShopOwners } from './shop-owners';
export { ShopBindings } from './shop-bindings';
export { ShopVisits } from './shop-visits';
export { ShopDashboard, type ShopSales, type ShopStandings } from './shop-dashboard';
export { ShopConsents } from './shop-consents';
export { ShopOrders, type AttributedPledges } from './shop-orders';
export { shopLookupLimits, shopRoutes } from './shop.routes';
export { shopPrivacyRoutes } from './shop-privacy.routes';
