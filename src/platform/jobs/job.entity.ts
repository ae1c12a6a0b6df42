import { Column, Entity, PrimaryColumn } from 'typeorm';
import { jsonColumn, timestampColumn } from '../database/columns';

/** One row per job, in agenda's shape. Written by agenda through our backend and by `enqueue` in a caller's tx. */
@Entity('jobs')
export class JobRow {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @Column({ type: 'varchar', length: 200 }) name: string;
  @Column({ type: 'integer', default: 0 }) priority: number;
  @Column(timestampColumn('next_run_at', { nullable: true })) nextRunAt: Date | null;
  @Column({ type: 'varchar', length: 16, default: 'normal' }) type: 'normal' | 'single';
  /** Unique when set: `single:<name>` for recurring jobs, `<name>:<key>` for keyed enqueues. */
  @Column({ name: 'dedupe_key', type: 'varchar', length: 255, nullable: true }) dedupeKey: string | null;
  @Column(timestampColumn('locked_at', { nullable: true })) lockedAt: Date | null;
  @Column(timestampColumn('last_run_at', { nullable: true })) lastRunAt: Date | null;
  @Column(timestampColumn('last_finished_at', { nullable: true })) lastFinishedAt: Date | null;
  @Column(timestampColumn('failed_at', { nullable: true })) failedAt: Date | null;
  @Column({ name: 'fail_count', type: 'integer', default: 0 }) failCount: number;
  @Column({ name: 'fail_reason', type: 'text', nullable: true }) failReason: string | null;
  @Column({ name: 'repeat_interval', type: 'varchar', length: 200, nullable: true }) repeatInterval: string | null;
  @Column({ name: 'repeat_timezone', type: 'varchar', length: 64, nullable: true }) repeatTimezone: string | null;
  @Column({ name: 'repeat_at', type: 'varchar', length: 64, nullable: true }) repeatAt: string | null;
  @Column(jsonColumn('data', { nullable: true })) data: object | null;
  @Column({ type: 'boolean', default: false }) disabled: boolean;
  @Column({ type: 'float', nullable: true }) progress: number | null;
  @Column({ name: 'last_modified_by', type: 'varchar', length: 200, nullable: true }) lastModifiedBy: string | null;
  @Column(timestampColumn('created_at')) createdAt: Date;
}

/**
 * A job that ran and went through, as SQL on the jobs table (with `:off` = false): not locked, not cancelled, no
 * failure standing, no next run. The console's `completed` state, and what `Jobs.purgeFinished` may delete.
 */
export const COMPLETED = 'locked_at IS NULL AND disabled = :off AND fail_count = 0 AND next_run_at IS NULL';
