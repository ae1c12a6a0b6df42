export { ShopBindingRow, ShopRow } from './shop.entity';
export { ShopOwners } from './shop-owners';
export { ShopBindings } from './shop-bindings';
export { shopRoutes } from './shop.routes';
