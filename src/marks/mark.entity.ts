import { Column, Entity, PrimaryColumn } from 'typeorm';
import { timestampColumn } from '../platform/database';

/** What a shop owner may mark: a product (a campaign), a factory, a brand or an origin (docs/selection.md § 红黑榜). */
export const SUBJECT_KINDS = ['campaign', 'factory', 'brand', 'origin'] as const;
export type SubjectKind = (typeof SUBJECT_KINDS)[number];

/** 红 recommends, 黑 does not. */
export const MARK_COLORS = ['red', 'black'] as const;
export type MarkColor = (typeof MARK_COLORS)[number];

/** One thing marked: made by its first mark, one row per kind and key (a unique index), so every mark of it lands on the same row. */
@Entity('mark_subjects')
export class MarkSubjectRow {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @Column({ type: 'varchar', length: 16 }) kind: SubjectKind;
  /** The campaign's or factory's id, or the brand's or origin's normalised text (markSubjectKey). */
  @Column({ name: 'subject_key', type: 'varchar', length: 128 }) key: string;
  /** What lists show: the campaign's title, the factory's name, or the text as first marked (normalised, case kept). */
  @Column({ type: 'varchar', length: 200 }) label: string;
  /** The factory that sees and may answer the marks: the campaign's factory, the factory itself; null for brands and origins. */
  @Column({ name: 'factory_id', type: 'varchar', length: 36, nullable: true }) factoryId: string | null;
  /** The factory's one public answer. */
  @Column({ type: 'varchar', length: 1000, nullable: true }) answer: string | null;
  @Column(timestampColumn('answered_at', { nullable: true })) answeredAt: Date | null;
  @Column(timestampColumn('created_at')) createdAt: Date;
}

/** A shop owner's mark of a subject: one per shop owner and subject (the primary key); marking again replaces it. */
@Entity('marks')
export class MarkRow {
  @PrimaryColumn({ name: 'subject_id', type: 'varchar', length: 36 }) subjectId: string;
  @PrimaryColumn({ name: 'user_id', type: 'varchar', length: 36 }) userId: string;
  @Column({ type: 'varchar', length: 8 }) color: MarkColor;
  @Column({ type: 'varchar', length: 500 }) reason: string;
  @Column(timestampColumn('marked_at')) markedAt: Date;
}

/**
 * What decides whether a shop owner's marks count (docs/selection.md § Who counts): when their account was made
 * (never changes) and since when they have shown activity (null: not yet; once shown it stays).
 */
@Entity('markers')
export class MarkerRow {
  @PrimaryColumn({ name: 'user_id', type: 'varchar', length: 36 }) userId: string;
  @Column({ name: 'shop_id', type: 'varchar', length: 36 }) shopId: string;
  @Column(timestampColumn('account_created_at')) accountCreatedAt: Date;
  @Column(timestampColumn('active_since', { nullable: true })) activeSince: Date | null;
}
