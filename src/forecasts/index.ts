export { ForecastService, type DemandSource, type SupplyLine } from './forecast.service';
export { forecastJobs } from './forecast.jobs';
export { forecastRoutes } from './forecast.routes';
export { CommitmentRow, ForecastBatchRow, ForecastLineRow, WebhookDeliveryRow } from './forecast.entity';
export { unitsRatio } from './batch';
