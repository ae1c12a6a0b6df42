export { CommissionEarningRow, CommissionRateRow, ShopSalesRow } from './commission.entity';
export { Commissions, type ChargedBox, type CompletedPurchase, type OwnShops } from './commissions';
export { commissionRoutes } from './commission.routes';
export { LEVELS, standingAt, type Level, type LevelStanding } from './levels';
export { LevelStandingDocument, toStandingDto } from './commission.schemas';
