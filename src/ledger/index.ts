export { LedgerService, type EntryInput, type PostedEntry } from './ledger.service';
export { JournalEntryRow, JournalLineRow } from './journal.entity';
export { COMMISSION_PAYABLE_PREFIX, FACTORY_PAYABLE_PREFIX, HELD_DEPOSITS_PREFIX, LEDGER_CURRENCY, accounts } from './accounts';
export { LEDGER_CHECKS, PAYOUT_KIND, reconcile, type ReconcileCheck, type ReconcileReport, type ReconcileSources } from './reconcile';
