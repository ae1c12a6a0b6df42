export { Statements, breakdown, type EntryBreakdown } from './statements';
export { Payouts, type Payable } from './payouts';
export { FactoryNotifier } from './factory-notifier';
export { BankFilePayouts, SandboxPayoutGateway, type PayoutGateway } from './payout-gateway';
export { PayeeRow, PayoutBatchRow, PayoutRow } from './payout.entity';
export { StatementEntryRow, StatementRow } from './statement.entity';
export { payoutJobs } from './payout.jobs';
export { payoutRoutes } from './payout.routes';
