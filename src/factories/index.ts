export { FactoryService } from './factory.service';
export { factoryRoutes, webhookRoutes } from './factory.routes';
export {
  FactoryWebhooks,
  ROTATION_GRACE_MS,
  WEBHOOK_UNUSABLE,
  webhookNotSet,
  type DeliveryErrorKind,
  type WebhookTarget,
  type WebhookHealth,
  type WebhookHealthSource,
} from './webhooks';
export { FactoryApiKeyRow, FactoryRow, FactoryWebhookRow, type FactoryKind } from './factory.entity';
export { FactoryParams, deliveryErrorKind } from './factory.schemas';
