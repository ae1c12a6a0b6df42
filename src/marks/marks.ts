import { In } from 'typeorm';
import type { Clock } from '../platform/clock';
import type { Database, Tx } from '../platform/database';
import { conflict, notFound } from '../platform/http/app-error';
import type { PageQuery } from '../platform/http/paginate';
import { canActForFactory, type Principal } from '../platform/http/principal';
import { FreshCache } from '../platform/fresh-cache';
import { newId } from '../platform/ids';
import { MarkerRow, MarkRow, MarkSubjectRow, type MarkColor, type SubjectKind } from './mark.entity';
import { shownBound, wilsonLowerBound } from './wilson';

type Consumer = Extract<Principal, { role: 'consumer' }>;
type Factory = Extract<Principal, { role: 'factory' }>;

const DAY_MS = 86_400_000;
/** Markers asked about at once. */
const ACTIVITY_SLICE = 500;

/** The shops module's ShopOwners: the caller's shop, or 403 `not_a_shop_owner`. */
export interface MarkingShops {
  approvedOf(consumer: Consumer): Promise<{ id: string }>;
}

/**
 * Where a shop owner has shown activity (docs/selection.md § Who counts), each source answering which of the given
 * shops have: completed sales through their links (commissions), recorded visits to their links (shops), later trial ratings.
 */
export interface MarkerActivity {
  activeShops(shopIds: readonly string[]): Promise<Set<string>>;
}

/** What the other modules tell about a subject and a marker, wired in app.ts. */
export interface MarkSources {
  shops: MarkingShops;
  /** A published campaign's title and factory, as the public sees it; undefined if there is none. */
  campaign(campaignId: string): Promise<{ title: string; factoryId: string } | undefined>;
  /** A factory's name; undefined if there is none. */
  factoryName(factoryId: string): Promise<string | undefined>;
  /** When the user's account was made. */
  accountCreatedAt(userId: string): Promise<Date>;
  activity: readonly MarkerActivity[];
}

export interface MarkInput {
  kind: SubjectKind;
  /** A campaign's or factory's id, or a brand's or origin's name. */
  subject: string;
  color: MarkColor;
  reason: string;
}

/** A subject with the marks that count: red, black, and the Wilson lower bound of each share as shown (four decimals). */
export interface Tally {
  subject: MarkSubjectRow;
  red: number;
  black: number;
  redBound: number;
  blackBound: number;
}

export interface SubjectMark {
  mark: MarkRow;
  /** Whether it counts now: the marker's account is old enough and they have shown activity. */
  counted: boolean;
}

/**
 * The brand's or origin's text as one key: NFKC (full-width letters and spaces become ordinary ones), trimmed, runs of
 * spaces one space, Latin letters lower-case; so "赣南 ", "赣南" and "Ｎｉｋｅ" / "nike" are each one subject.
 */
export function normaliseSubjectText(text: string): string {
  return text.normalize('NFKC').trim().replace(/\s+/gu, ' ');
}

export function subjectKey(kind: SubjectKind, subject: string): string {
  return kind === 'campaign' || kind === 'factory' ? subject.toLowerCase() : normaliseSubjectText(subject).toLowerCase();
}

/**
 * 红黑榜 (docs/selection.md § 红黑榜): approved shop owners mark a campaign, factory, brand or origin 红 or 黑 with a
 * reason, one mark per shop owner and subject (the primary key; marking again replaces it, in one upsert statement,
 * so concurrent marks and flips never make two). Counts are read from the marks themselves, never kept as running
 * totals, so no count can be lost or doubled; only marks of shop owners whose account is old enough and who have
 * shown activity count, decided when read. Lists rank by the Wilson lower bound of the share, not raw counts.
 */
export class Marks {
  private readonly boards: FreshCache<SubjectKind, Tally[]>;
  /** Every read asks about activity first; reads arriving together (public ones among them) share one asking. */
  private readonly activity: FreshCache<'markers', void>;

  constructor(
    private readonly deps: {
      db: Database;
      clock: Clock;
      sources: MarkSources;
      /** Marks of accounts younger than this do not count (MARKS_MIN_ACCOUNT_AGE_DAYS). */
      minAccountAgeDays: number;
      /** How old a public list may be (CAMPAIGN_CACHE_MS): each kind's lists are computed at most once in that time. */
      maxAgeMs: number;
    },
  ) {
    this.boards = new FreshCache({ maxAgeMs: deps.maxAgeMs, maxEntries: 8 });
    this.activity = new FreshCache({ maxAgeMs: deps.maxAgeMs, maxEntries: 1 });
  }

  /** Marks a subject, or replaces the caller's mark of it. Campaigns and factories must exist (404). */
  async mark(consumer: Consumer, input: MarkInput): Promise<{ subject: MarkSubjectRow; mark: MarkRow }> {
    const { sources } = this.deps;
    const shop = await sources.shops.approvedOf(consumer);
    const [described, accountCreatedAt] = await Promise.all([this.describe(input.kind, input.subject), sources.accountCreatedAt(consumer.userId)]);
    const now = this.deps.clock.now();
    const key = subjectKey(input.kind, input.subject);
    const mark = Object.assign(new MarkRow(), { userId: consumer.userId, color: input.color, reason: input.reason, markedAt: now });
    const subject = await this.deps.db.transaction(async (tx) => {
      const { db } = this.deps;
      const row = { id: newId(), kind: input.kind, subject_key: key, label: described.label, factory_id: described.factoryId, created_at: now };
      await db.insertRows(tx, 'mark_subjects', [row], { ignoreDuplicates: true });
      const found = (await tx.findOneBy(MarkSubjectRow, { kind: input.kind, key }))!;
      const marker = { user_id: consumer.userId, shop_id: shop.id, account_created_at: accountCreatedAt, active_since: null };
      await db.insertRows(tx, 'markers', [marker], { ignoreDuplicates: true });
      const values = [found.id, mark.userId, mark.color, mark.reason, mark.markedAt];
      await db.sql(
        tx,
        db.dialect === 'mysql'
          ? 'INSERT INTO marks (subject_id, user_id, color, reason, marked_at) VALUES (?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE color = VALUES(color), reason = VALUES(reason), marked_at = VALUES(marked_at)'
          : 'INSERT INTO marks (subject_id, user_id, color, reason, marked_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (subject_id, user_id) DO UPDATE SET color = excluded.color, reason = excluded.reason, marked_at = excluded.marked_at',
        values,
      );
      return found;
    });
    return { subject, mark: Object.assign(mark, { subjectId: subject.id }) };
  }

  /** Withdraws the caller's mark of a subject; 404 if they have none. */
  async withdraw(consumer: Consumer, subjectId: string): Promise<void> {
    await this.deps.sources.shops.approvedOf(consumer);
    const removed = await this.deps.db.statement((tx) => tx.delete(MarkRow, { subjectId, userId: consumer.userId }));
    if (removed.affected !== 1) throw notFound('Your mark of this subject');
  }

  /** The caller's marks, newest first; with `kind` and `subject`, only their mark of that one subject (if any). */
  async mine(
    consumer: Consumer,
    query: PageQuery & { kind?: SubjectKind; subject?: string },
  ): Promise<{ items: { subject: MarkSubjectRow; mark: MarkRow }[]; total: number }> {
    await this.deps.sources.shops.approvedOf(consumer);
    return this.deps.db.read(async (tx) => {
      const where: { userId: string; subjectId?: string } = { userId: consumer.userId };
      if (query.kind && query.subject !== undefined) {
        const subject = await tx.findOneBy(MarkSubjectRow, { kind: query.kind, key: subjectKey(query.kind, query.subject) });
        if (!subject) return { items: [], total: 0 };
        where.subjectId = subject.id;
      }
      const [marks, total] = await tx.findAndCount(MarkRow, { where, order: { markedAt: 'DESC', subjectId: 'ASC' }, take: query.limit, skip: query.offset });
      const subjects = await this.subjectsById(
        tx,
        marks.map((m) => m.subjectId),
      );
      return { items: marks.map((mark) => ({ subject: subjects.get(mark.subjectId)!, mark })), total };
    });
  }

  /**
   * 红榜 (`red`) or 黑榜 (`black`) of one kind: the subjects with counted marks, by the Wilson lower bound of their red
   * (black) share, highest first; ties by more marks, then by label.
   */
  async board(kind: SubjectKind, color: MarkColor, query: PageQuery): Promise<{ items: Tally[]; total: number }> {
    const tallies = await this.boards.get(kind, async () => this.tallies({ kind }));
    const bound = (t: Tally) => (color === 'red' ? t.redBound : t.blackBound);
    const ranked = [...tallies].sort((a, b) => bound(b) - bound(a) || b.red + b.black - (a.red + a.black) || a.subject.label.localeCompare(b.subject.label));
    return { items: ranked.slice(query.offset, query.offset + query.limit), total: ranked.length };
  }

  /** One subject with its counts and its factory's answer. */
  async subject(subjectId: string): Promise<Tally> {
    const [tally] = await this.tallies({ subjectIds: [subjectId] });
    if (!tally) throw notFound('The subject');
    return tally;
  }

  /** The subjects a factory sees (itself and its campaigns), those with the most counted marks first. */
  async ofFactory(factoryId: string, query: PageQuery): Promise<{ items: Tally[]; total: number }> {
    const tallies = await this.tallies({ factoryId });
    tallies.sort((a, b) => b.red + b.black - (a.red + a.black) || b.subject.createdAt.getTime() - a.subject.createdAt.getTime());
    return { items: tallies.slice(query.offset, query.offset + query.limit), total: tallies.length };
  }

  /**
   * A subject's marks with their reasons, newest first, never who made them (docs/selection.md § What factories see):
   * the subject's own factory, and operators (every subject, brands and origins too).
   */
  async marksOf(actor: Principal, subjectId: string, query: PageQuery): Promise<{ tally: Tally; items: SubjectMark[]; total: number }> {
    const tally = await this.visibleTo(actor, subjectId);
    const cutoff = this.cutoff();
    return this.deps.db.read(async (tx) => {
      const [marks, total] = await tx.findAndCount(MarkRow, {
        where: { subjectId },
        order: { markedAt: 'DESC', userId: 'ASC' },
        take: query.limit,
        skip: query.offset,
      });
      const markers = marks.length > 0 ? await tx.find(MarkerRow, { where: { userId: In(marks.map((m) => m.userId)) } }) : [];
      const counts = new Set(markers.filter((k) => k.activeSince !== null && k.accountCreatedAt <= cutoff).map((k) => k.userId));
      return { tally, items: marks.map((mark) => ({ mark, counted: counts.has(mark.userId) })), total };
    });
  }

  /** The factory's one public answer to a subject's marks; a second is 409 `marks_already_answered`. */
  async answer(factory: Factory, subjectId: string, text: string): Promise<Tally> {
    await this.visibleTo(factory, subjectId);
    const now = this.deps.clock.now();
    const answered = await this.deps.db.statement((tx) =>
      this.deps.db.sql(tx, 'UPDATE mark_subjects SET answer = ?, answered_at = ? WHERE id = ? AND answer IS NULL', [text, now, subjectId]),
    );
    if (answered.affected !== 1)
      throw conflict('marks_already_answered', '这个对象的评价已经回复过了，只能回复一次。 The marks of this subject were answered already: once only.');
    return this.subject(subjectId);
  }

  /** The subject if the actor may see its marks (its factory, operators); "not found" otherwise, so its existence is not revealed. */
  private async visibleTo(actor: Principal, subjectId: string): Promise<Tally> {
    const [tally] = await this.tallies({ subjectIds: [subjectId] });
    if (!tally || !canActForFactory(actor, tally.subject.factoryId ?? '')) throw notFound('The subject');
    return tally;
  }

  private async describe(kind: SubjectKind, subject: string): Promise<{ label: string; factoryId: string | null }> {
    if (kind === 'campaign') {
      const campaign = await this.deps.sources.campaign(subject);
      if (!campaign) throw notFound('The campaign');
      return { label: campaign.title, factoryId: campaign.factoryId };
    }
    if (kind === 'factory') {
      const name = await this.deps.sources.factoryName(subject);
      if (name === undefined) throw notFound('The factory');
      return { label: name, factoryId: subject };
    }
    return { label: normaliseSubjectText(subject), factoryId: null };
  }

  /** Accounts made before this are old enough for their marks to count. */
  private cutoff(): Date {
    return new Date(this.deps.clock.now().getTime() - this.deps.minAccountAgeDays * DAY_MS);
  }

  /**
   * The subjects chosen (all of a kind, some by id, or a factory's) with their counted marks, computed from the marks
   * now. Markers old enough whose activity is not yet known are asked about first: one who became active counts from this read on.
   */
  private async tallies(which: { kind?: SubjectKind; subjectIds?: string[]; factoryId?: string }): Promise<Tally[]> {
    const cutoff = this.cutoff();
    await this.activity.get('markers', () => this.recordActivity(cutoff));
    const { db } = this.deps;
    return db.read(async (tx) => {
      const where = which.kind ? { kind: which.kind } : which.factoryId ? { factoryId: which.factoryId } : { id: In(which.subjectIds ?? []) };
      const subjects = await tx.find(MarkSubjectRow, { where });
      if (subjects.length === 0) return [];
      const filter = which.kind ? 's.kind = ?' : which.factoryId ? 's.factory_id = ?' : `s.id IN (${subjects.map(() => '?').join(', ')})`;
      const { rows } = await db.sql<{ subject_id: string; red: number | string | null; black: number | string | null }>(
        tx,
        `SELECT m.subject_id, SUM(CASE WHEN m.color = 'red' THEN 1 ELSE 0 END) AS red, SUM(CASE WHEN m.color = 'black' THEN 1 ELSE 0 END) AS black
         FROM marks m JOIN mark_subjects s ON s.id = m.subject_id JOIN markers k ON k.user_id = m.user_id
         WHERE ${filter} AND k.active_since IS NOT NULL AND k.account_created_at <= ? GROUP BY m.subject_id`,
        [...(which.kind ? [which.kind] : which.factoryId ? [which.factoryId] : subjects.map((s) => s.id)), cutoff],
      );
      const counts = new Map(rows.map((r) => [r.subject_id, { red: Number(r.red ?? 0), black: Number(r.black ?? 0) }]));
      const tallies = subjects.map((subject) => {
        const { red, black } = counts.get(subject.id) ?? { red: 0, black: 0 };
        // Rounded here, once: the boards sort on the figure shown, so subjects shown tied go by the tie-breaks.
        return { subject, red, black, redBound: shownBound(wilsonLowerBound(red, red + black)), blackBound: shownBound(wilsonLowerBound(black, red + black)) };
      });
      // The public lists show what has counted marks; a subject, or a factory's, is shown whatever its counts.
      return which.kind ? tallies.filter((t) => t.red + t.black > 0) : tallies;
    });
  }

  /** Asks the activity sources about the markers old enough and not yet known active; those now active are recorded so. */
  private async recordActivity(cutoff: Date): Promise<void> {
    const { db, sources } = this.deps;
    const { rows } = await db.read((tx) =>
      db.sql<{ shop_id: string }>(tx, 'SELECT shop_id FROM markers WHERE active_since IS NULL AND account_created_at <= ?', [cutoff]),
    );
    // In slices, so that no statement binds more values than a database takes.
    for (let i = 0; i < rows.length; i += ACTIVITY_SLICE) {
      const shopIds = rows.slice(i, i + ACTIVITY_SLICE).map((r) => r.shop_id);
      const answers = await Promise.all(sources.activity.map((source) => source.activeShops(shopIds)));
      const active = [...new Set(answers.flatMap((set) => [...set]))];
      if (active.length === 0) continue;
      const now = this.deps.clock.now();
      await db.statement((tx) =>
        db.sql(tx, `UPDATE markers SET active_since = ? WHERE active_since IS NULL AND shop_id IN (${active.map(() => '?').join(', ')})`, [now, ...active]),
      );
    }
  }

  private async subjectsById(tx: Tx, ids: string[]): Promise<Map<string, MarkSubjectRow>> {
    if (ids.length === 0) return new Map();
    return new Map((await tx.find(MarkSubjectRow, { where: { id: In(ids) } })).map((s) => [s.id, s]));
  }
}
