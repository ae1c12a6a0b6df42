export { PledgeService } from './pledge.service';
export { Settlement } from './settlement';
export { MoneyFlows } from './money-flows';
export { pledgeJobs } from './pledge.jobs';
export { pledgeRoutes } from './pledge.routes';
export { ConsumerUnitsRow, PledgeRow, type PledgeStatus } from './pledge.entity';
export { PledgeDayRow, PledgeTallies, PledgeTallyRow, PledgerCountRow, PledgerRow, type DayTally, type VariantTally, unitCounts } from './tallies';
