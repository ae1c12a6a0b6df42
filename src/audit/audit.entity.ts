import { Column, Entity, PrimaryColumn } from 'typeorm';
import { timestampColumn } from '../platform/database';
import type { AuditOutcome } from '../platform/http/audit';

/** `started` until the action's outcome is known; an entry left `started` is an action whose outcome was never recorded. */
export type AuditStatus = 'started' | AuditOutcome;

/**
 * One state-changing request by an operator (docs/operator-console.md § 审计日志), written before the action runs and
 * completed with its outcome: who, when, what (method, route template, subject), why (the body's reason), and the body
 * with its secrets redacted. Never changed after completion, never deleted by the service.
 */
@Entity('audit_entries')
export class AuditEntryRow {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @Column({ name: 'actor_user_id', type: 'varchar', length: 36 }) actorUserId: string;
  /** The operator's name and email as they were when they acted. */
  @Column({ name: 'actor_name', type: 'varchar', length: 200 }) actorName: string;
  @Column({ name: 'actor_email', type: 'varchar', length: 254, nullable: true }) actorEmail: string | null;
  @Column(timestampColumn('at')) at: Date;
  @Column({ type: 'varchar', length: 8 }) method: string;
  /** The route's path template: /v1/campaigns/:id/publish. */
  @Column({ type: 'varchar', length: 200 }) route: string;
  /** The first path parameter, or the id of the record the action created. */
  @Column({ name: 'subject_id', type: 'varchar', length: 200, nullable: true }) subjectId: string | null;
  /**
   * Every path parameter of the route by name, as JSON (`{"id":"…","keyId":"…"}`): which of the subject's keys, users or
   * deliveries the action was on. Null for a route without parameters, and for entries written before it was kept.
   */
  @Column({ type: 'text', nullable: true }) params: string | null;
  @Column({ type: 'varchar', length: 1000, nullable: true }) reason: string | null;
  @Column({ type: 'text', nullable: true }) summary: string | null;
  @Column({ type: 'varchar', length: 16 }) status: AuditStatus;
  /** The HTTP status the action was answered with; null while started. */
  @Column({ name: 'http_status', type: 'integer', nullable: true }) httpStatus: number | null;
  @Column(timestampColumn('completed_at', { nullable: true })) completedAt: Date | null;
}
