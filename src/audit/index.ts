export { AuditEntryRow, type AuditStatus } from './audit.entity';
export { AuditLog, type AuditActors, type AuditFilter } from './audit-log';
export { auditRoutes } from './audit.routes';
