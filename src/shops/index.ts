export { ShopBindingRow, ShopRow, ShopVisitRow } from './shop.entity';
export { ShopVisits } from './shop-visits';
export { ShopDashboard, type ShopSales } from './shop-dashboard';
export { ShopOwners } from './shop-owners';
export { ShopBindings } from './shop-bindings';
export { shopRoutes } from './shop.routes';
