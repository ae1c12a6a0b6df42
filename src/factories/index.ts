export { FactoryService } from './factory.service';
export { factoryRoutes, webhookRoutes } from './factory.routes';
export { FactoryWebhooks, ROTATION_GRACE_MS } from './webhooks';
export { FactoryApiKeyRow, FactoryRow, FactoryWebhookRow, type FactoryKind } from './factory.entity';
export { FactoryParams } from './factory.schemas';
