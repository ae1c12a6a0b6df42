import { createHash, createHmac } from 'node:crypto';
import { Column, Entity, PrimaryColumn } from 'typeorm';
import { type Database, isConnectionLost, isUniqueViolation, timestampColumn } from '../database';
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

/** The most keys one statement writes: the requests arriving while the last statement ran (a spike from 256 connections filled batches of 100). */
const KEYS_PER_STATEMENT = 500;

/**
 * The Idempotency-Key contract of money-moving routes: the same key with the same request replays the
 * first response; with a different request it is a 422; while the first is still running, a 409.
 * Keys are kept for `retentionMs` (at least 24 h).
 */
export const IDEMPOTENCY_DEFAULTS = { retentionMs: 48 * 3600_000, abandonAfterMs: 5 * 60_000 };

/** The refusal for a key reused with a different request: by the store, or by a handler that finds the record the key made. */
export function idempotencyKeyReused(): AppError {
  return unprocessable('idempotency_key_reused', 'This Idempotency-Key was already used for a different request. Use a new key for a new request.');
}

export class IdempotencyStore {
  constructor(
    private readonly db: Database,
    /** `secret` keys the record ids (recordId): without it they can be computed from the caller and the key. */
    private readonly options: { retentionMs: number; abandonAfterMs: number; secret?: string } = IDEMPOTENCY_DEFAULTS,
  ) {}

  /**
   * The id of the record a request creates, the same for every attempt of one caller with one key.
   * A handler that creates a record gives it this id: an attempt after the first one died half way
   * (its process killed after its commit, before the answer was recorded; or its connection lost as
   * its commit went through, the key then released for a retry) finds the record the first one wrote,
   * instead of writing a second. Keyed with a secret, so ids stay unguessable however simple the key.
   */
  recordId(subject: string, key: string): string {
    const bytes = createHmac('sha256', this.options.secret ?? 'idempotent-record')
      .update(`idempotent-record\n${subject}\n${key}`)
      .digest()
      .subarray(0, 16);
    // Shaped as an RFC 9562 UUID, version 8 (custom).
    bytes[6] = (bytes[6] & 0x0f) | 0x80;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = bytes.toString('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  static validKey(key: string): boolean {
    return KEY_PATTERN.test(key);
  }

  static fingerprint(method: string, path: string, body: unknown): string {
    return createHash('sha256')
      .update(`${method} ${path}\n${JSON.stringify(canonical(body))}`)
      .digest('hex');
  }

  async start(subject: string, key: string, requestHash: string): Promise<IdempotencyStart> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const now = new Date();
      const id = newId();
      try {
        await this.inserts.submit(
          '',
          Object.assign(new IdempotencyKeyRow(), {
            id,
            subject,
            key,
            requestHash,
            state: 'in_flight',
            responseStatus: null,
            responseBody: null,
            lockedAt: now,
            createdAt: now,
            expiresAt: new Date(now.getTime() + this.options.retentionMs),
          }),
        );
        return { kind: 'started', id };
      } catch (error) {
        // The INSERT may have been written before the connection went: take our own row out again, or
        // the client's retry would be refused as "in flight" for abandonAfterMs.
        if (isConnectionLost(error)) await this.release(id);
        if (!isUniqueViolation(error)) throw error;
      }
      const existing = await this.db.read((tx) => tx.findOneBy(IdempotencyKeyRow, { subject, key }));
      if (!existing) continue; // purged between our insert and our read: try again
      // Our own row: a batch whose INSERT was written but whose answer was lost with its connection,
      // then our row written again on its own. It is ours to run.
      if (existing.id === id) return { kind: 'started', id };
      if (existing.requestHash !== requestHash) {
        throw idempotencyKeyReused();
      }
      if (existing.state === 'completed') {
        return { kind: 'replay', status: existing.responseStatus ?? 200, body: existing.responseBody === null ? undefined : JSON.parse(existing.responseBody) };
      }
      if (existing.lockedAt.getTime() > now.getTime() - this.options.abandonAfterMs) {
        throw conflict('idempotency_request_in_flight', 'A request with this Idempotency-Key is still being processed. Retry after it finishes.');
      }
      // The first attempt died mid-way (its process crashed): take the key over, once.
      const taken = await this.db.transaction((tx) =>
        tx
          .createQueryBuilder()
          .update(IdempotencyKeyRow)
          .set({ lockedAt: now })
          .where('id = :id AND state = :state AND locked_at = :lockedAt', { id: existing.id, state: 'in_flight', lockedAt: existing.lockedAt })
          .execute(),
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
  private readonly inserts = new GroupCommit<IdempotencyKeyRow, void>(
    async (_, rows) => {
      await this.db.statement((tx) => this.db.insertEntities(tx, IdempotencyKeyRow, rows));
      return rows.map(() => undefined);
    },
    (_, row) => this.db.statement((tx) => this.db.insertEntities(tx, IdempotencyKeyRow, [row])),
    KEYS_PER_STATEMENT,
  );

  private readonly completions = new GroupCommit<{ id: string; status: number; body: string | null }, void>(
    async (_, rows) => {
      await this.writeCompletions(rows);
      return rows.map(() => undefined);
    },
    (_, row) => this.writeCompletions([row]),
    KEYS_PER_STATEMENT,
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

  /**
   * Forgets a key whose request did not get to a final answer, so the client's retry runs it again.
   * The request often failed because its database connection was lost, and this DELETE may meet the
   * same fault: it is tried again on a new connection (deleting twice is harmless), because a key left
   * in flight would refuse the client's retries (409) for abandonAfterMs.
   */
  async release(id: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.db.statement((tx) => tx.delete(IdempotencyKeyRow, { id, state: 'in_flight' }));
        return;
      } catch (error) {
        // About 3 s in all: a pool may hand out a few connections killed while idle before it notices.
        if (!isConnectionLost(error) || attempt >= 8) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
      }
    }
  }

  async purgeExpired(now: Date): Promise<number> {
    const result = await this.db.transaction((tx) => tx.createQueryBuilder().delete().from(IdempotencyKeyRow).where('expires_at < :now', { now }).execute());
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
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}
