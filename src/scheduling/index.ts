/** The fruit-box planner: pure (no database, no IO, no clock) and deterministic. */
export { ETHYLENE_HASTENS_DAYS, assertPlannable, guaranteedWindow, isHastenedBy, isInSeason, type EdibleWindow, type Fruit } from './fruit';
export { FRUIT_CATALOGUE } from './fruit-catalogue';
export {
  extraPortionsPerDay,
  planBox,
  varietyTarget,
  type BoxRequest,
  type CoverageDay,
  type PlannedBox,
  type PlannedItem,
  type UncoveredDay,
  type UncoveredReason,
} from './planner';
