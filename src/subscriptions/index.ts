export { SubscriptionService } from './subscription.service';
export { subscriptionJobs } from './subscription.jobs';
export { subscriptionRoutes } from './subscription.routes';
export { BoxRow, FruitRow, BoxContentsRow, PlanRow, SkipRow, SubscriptionRow, SupplyCommitmentRow } from './subscription.entity';
export { OrchardDemand } from './orchard-demand';
export { BoxCharges } from './box-charges';
export { toPlanDto } from './subscription.schemas';
