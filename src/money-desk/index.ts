export { LedgerBoard } from './ledger-board';
export { MoneyRecords } from './money-records';
export { MoneySearch, readQuery } from './money-search';
export { moneyDeskRoutes } from './money-desk.routes';
export { RECORD_KINDS, type RecordKind } from './money-desk.schemas';
