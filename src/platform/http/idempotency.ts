import { createHash } from 'node:crypto';
import { Column, Entity, PrimaryColumn } from 'typeorm';
import { type Database, type SqlValue, isUniqueViolation, timestampColumn } from '../database';
import { GroupCommit } from '../group-commit';
import { newId } from '../ids';
import { AppError, conflict, unprocessable } from './app-error';

@Entity('idempotency_keys')
export class IdempotencyKeyRow {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  /** Who sent it: keys are per caller, so two callers can never collide or read each other's responses. */
  @Column({ type: 'varchar', length: 100 }) subject: string;
  @Column({ name: 'idem_key', type: 'varchar', length: 255 }) key: string;
  @Column({ name: 'request_hash', type: 'varchar', length: 64 }) requestHash: string;
  @Column({ type: 'varchar', length: 16 }) state: 'in_flight' | 'completed';
  @Column({ name: 'response_status', type: 'integer', nullable: true }) responseStatus: number | null;
  @Column({ name: 'response_body', type: 'text', nullable: true }) responseBody: string | null;
  @Column(timestampColumn('locked_at')) lockedAt: Date;
  @Column(timestampColumn('created_at')) createdAt: Date;
  @Column(timestampColumn('expires_at')) expiresAt: Date;
}

export type IdempotencyStart = { kind: 'started'; id: string } | { kind: 'replay'; status: number; body: unknown };

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/**
 * The Idempotency-Key contract of money-moving routes: the same key with the same request replays the
 * first response; with a different request it is a 422; while the first is still running, a 409.
 * Keys are kept for `retentionMs` (at least 24 h).
 */
export class IdempotencyStore {
  constructor(
    private readonly db: Database,
    private readonly options: { retentionMs: number; abandonAfterMs: number } = { retentionMs: 48 * 3600_000, abandonAfterMs: 5 * 60_000 },
  ) {}

  static validKey(key: string): boolean {
    return KEY_PATTERN.test(key);
  }

  static fingerprint(method: string, path: string, body: unknown): string {
    return createHash('sha256').update(`${method} ${path}\n${JSON.stringify(canonical(body))}`).digest('hex');
  }

  async start(subject: string, key: string, requestHash: string): Promise<IdempotencyStart> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const now = new Date();
      const id = newId();
      try {
        await this.inserts.submit('', { id, subject, idem_key: key, request_hash: requestHash, state: 'in_flight', response_status: null, response_body: null, locked_at: now, created_at: now, expires_at: new Date(now.getTime() + this.options.retentionMs) });
        return { kind: 'started', id };
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
      }
      const existing = await this.db.read((tx) => tx.findOneBy(IdempotencyKeyRow, { subject, key }));
      if (!existing) continue; // purged between our insert and our read: try again
      if (existing.requestHash !== requestHash) {
        throw unprocessable('idempotency_key_reused', 'This Idempotency-Key was already used for a different request. Use a new key for a new request.');
      }
      if (existing.state === 'completed') {
        return { kind: 'replay', status: existing.responseStatus ?? 200, body: existing.responseBody === null ? undefined : JSON.parse(existing.responseBody) };
      }
      if (existing.lockedAt.getTime() > now.getTime() - this.options.abandonAfterMs) {
        throw conflict('idempotency_request_in_flight', 'A request with this Idempotency-Key is still being processed. Retry after it finishes.');
      }
      // The first attempt died mid-way (its process crashed): take the key over, once.
      const taken = await this.db.transaction((tx) =>
        tx.createQueryBuilder().update(IdempotencyKeyRow).set({ lockedAt: now }).where('id = :id AND state = :state AND locked_at = :lockedAt', { id: existing.id, state: 'in_flight', lockedAt: existing.lockedAt }).execute(),
      );
      if (taken.affected) return { kind: 'started', id: existing.id };
    }
    throw conflict('idempotency_request_in_flight', 'A request with this Idempotency-Key is still being processed. Retry after it finishes.');
  }

  async complete(id: string, status: number, body: unknown): Promise<void> {
    await this.completions.submit('', { id, status, body: body === undefined ? null : JSON.stringify(body) });
  }

  // Every request writes its key twice, on its own, outside any transaction: the writes of concurrent
  // requests are coalesced into one statement each (group commit), and a batch that fails (a key
  // already taken) is written row by row, so each request still gets its own answer.
  private readonly inserts = new GroupCommit<Record<string, SqlValue>, void>(
    async (_, rows) => {
      await this.db.statement((tx) => this.db.insertRows(tx, 'idempotency_keys', rows));
      return rows.map(() => undefined);
    },
    (_, row) => this.db.statement((tx) => this.db.insertRows(tx, 'idempotency_keys', [row])),
  );

  private readonly completions = new GroupCommit<{ id: string; status: number; body: string | null }, void>(
    async (_, rows) => {
      await this.writeCompletions(rows);
      return rows.map(() => undefined);
    },
    (_, row) => this.writeCompletions([row]),
  );

  private async writeCompletions(rows: readonly { id: string; status: number; body: string | null }[]): Promise<void> {
    const cases = rows.map(() => 'WHEN ? THEN ?').join(' ');
    await this.db.statement((tx) =>
      this.db.sql(
        tx,
        `UPDATE idempotency_keys SET state = 'completed', response_status = CASE id ${cases} END, response_body = CASE id ${cases} END WHERE id IN (${rows.map(() => '?').join(', ')})`,
        [...rows.flatMap((r) => [r.id, r.status]), ...rows.flatMap((r) => [r.id, r.body]), ...rows.map((r) => r.id)],
      ),
    );
  }

  /** Forgets a key whose request did not get to a final answer, so the client's retry runs it again. */
  async release(id: string): Promise<void> {
    await this.db.statement((tx) => tx.delete(IdempotencyKeyRow, { id, state: 'in_flight' }));
  }

  async purgeExpired(now: Date): Promise<number> {
    const result = await this.db.transaction((tx) =>
      tx.createQueryBuilder().delete().from(IdempotencyKeyRow).where('expires_at < :now', { now }).execute(),
    );
    return result.affected ?? 0;
  }

  /** Whether a failed request's answer is final, and so replayed, or worth retrying with the same key. */
  static isFinal(error: unknown): boolean {
    return error instanceof AppError && error.status < 500 && error.status !== 409 && error.status !== 429;
  }
}

/** Key order does not make two JSON bodies different requests. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical((value as Record<string, unknown>)[k])]));
  }
  return value;
}
