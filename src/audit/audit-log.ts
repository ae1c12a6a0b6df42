import { In } from 'typeorm';
import type { Clock } from '../platform/clock';
import type { Database } from '../platform/database';
import { outcomeOf, type AuditStart, type AuditTrail } from '../platform/http/audit';
import type { PageQuery } from '../platform/http/paginate';
import { newId } from '../platform/ids';
import { AuditEntryRow } from './audit.entity';

/** Who an operator is, as the log names them (the accounts module, wired in app.ts). */
export interface AuditActors {
  actor(userId: string): Promise<{ name: string; email: string | null }>;
}

export interface AuditFilter {
  /** An operator's user id or email (exactly), or part of their name. */
  actor?: string;
  /** "POST /v1/campaigns/:id/publish" (method and route template), or a route template alone (any method). */
  action?: string;
  /** Any path parameter of the action (the factory, or its key, user or delivery), or the id of the record it created. */
  subjectId?: string;
  /** From this instant (inclusive) to that one (exclusive). */
  from?: Date;
  to?: Date;
}

/** The most rows one CSV export holds (newest first); narrower filters for more. */
export const CSV_LIMIT = 10_000;

/**
 * The audit log (docs/operator-console.md § 审计日志): the platform's route mounting writes an entry for every
 * state-changing request by an operator before its handler runs (`begin`, its own commit) and completes it with
 * the outcome (`finish`); operators read it newest first, filtered, a page at a time or as CSV.
 */
export class AuditLog implements AuditTrail {
  constructor(private readonly deps: { db: Database; clock: Clock; actors: AuditActors }) {}

  async begin(entry: AuditStart): Promise<string> {
    const who = await this.deps.actors.actor(entry.actor.userId);
    const row: AuditEntryRow = {
      id: newId(),
      actorUserId: entry.actor.userId,
      actorName: who.name.slice(0, 200),
      actorEmail: who.email,
      at: this.deps.clock.now(),
      method: entry.method,
      route: entry.route,
      subjectId: entry.subjectId,
      params: entry.params === null ? null : JSON.stringify(entry.params),
      reason: entry.reason,
      summary: entry.summary,
      status: 'started',
      httpStatus: null,
      completedAt: null,
    };
    await this.deps.db.statement((tx) => tx.insert(AuditEntryRow, row));
    return row.id;
  }

  async finish(entryId: string, outcome: { status: number; subjectId: string | null; correcting?: boolean }): Promise<void> {
    await this.deps.db.statement((tx) =>
      tx.update(AuditEntryRow, outcome.correcting ? { id: entryId } : { id: entryId, status: 'started' }, {
        status: outcomeOf(outcome.status),
        httpStatus: outcome.status,
        subjectId: outcome.subjectId,
        completedAt: this.deps.clock.now(),
      }),
    );
  }

  /** The entries the filter selects, newest first, a page of them and how many there are. */
  async list(filter: AuditFilter, page: PageQuery): Promise<{ items: AuditEntryRow[]; total: number }> {
    return this.deps.db.read(async (tx) => {
      const { where, values } = conditions(filter);
      const [ids, count] = await Promise.all([
        this.deps.db.sql<{ id: string }>(tx, `SELECT id FROM audit_entries${where} ORDER BY at DESC, id DESC LIMIT ? OFFSET ?`, [
          ...values,
          page.limit,
          page.offset,
        ]),
        this.deps.db.sql<{ n: number | string }>(tx, `SELECT COUNT(*) AS n FROM audit_entries${where}`, values),
      ]);
      const rows = ids.rows.length === 0 ? [] : await tx.findBy(AuditEntryRow, { id: In(ids.rows.map((r) => r.id)) });
      const byId = new Map(rows.map((row) => [row.id, row]));
      return { items: ids.rows.flatMap((r) => byId.get(r.id) ?? []), total: Number(count.rows[0]?.n ?? 0) };
    });
  }
}

/** The filter as SQL conditions: every value bound, LIKE's wildcards in a name escaped. */
function conditions(filter: AuditFilter): { where: string; values: (string | Date)[] } {
  const parts: string[] = [];
  const values: (string | Date)[] = [];
  if (filter.actor !== undefined) {
    parts.push(`(actor_user_id = ? OR LOWER(actor_email) = ? OR LOWER(actor_name) LIKE ? ESCAPE '!')`);
    values.push(filter.actor, filter.actor.toLowerCase(), `%${filter.actor.toLowerCase().replace(/[!%_]/g, (c) => `!${c}`)}%`);
  }
  if (filter.action !== undefined) {
    const [method, route] = /^(POST|PUT|PATCH|DELETE) (\/\S*)$/i.exec(filter.action)?.slice(1) ?? [undefined, filter.action];
    parts.push('route = ?');
    values.push(route!);
    if (method) {
      parts.push('method = ?');
      values.push(method.toUpperCase());
    }
  }
  if (filter.subjectId !== undefined) {
    // The first parameter is the subject; the others (a key of the factory, a user, a delivery) are found in `params`,
    // where each value is written as JSON after its name's colon: `"keyId":"<value>"`.
    parts.push(`(subject_id = ? OR params LIKE ? ESCAPE '!')`);
    values.push(filter.subjectId, `%:${JSON.stringify(filter.subjectId).replace(/[!%_]/g, (c) => `!${c}`)}%`);
  }
  if (filter.from) {
    parts.push('at >= ?');
    values.push(filter.from);
  }
  if (filter.to) {
    parts.push('at < ?');
    values.push(filter.to);
  }
  return { where: parts.length ? ` WHERE ${parts.join(' AND ')}` : '', values };
}
