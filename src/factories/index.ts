export { FactoryService } from './factory.service';
export { factoryRoutes } from './factory.routes';
export { FactoryApiKeyRow, FactoryRow, type FactoryKind } from './factory.entity';
