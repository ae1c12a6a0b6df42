export { ForecastService, type DemandSource, type SupplyLine } from './forecast.service';
export { forecastRoutes } from './forecast.routes';
export { CommitmentRow, ForecastBatchRow, ForecastLineRow, WebhookDeliveryRow } from './forecast.entity';
