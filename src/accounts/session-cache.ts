import type { Broadcast } from '../platform/redis';

/** How long a session found in the database is believed without asking again, and how many are kept (the oldest go first). */
export const SESSION_CACHE_MAX_AGE_MS = 60_000;
const MAX_ENTRIES = 20_000;
/**
 * How long ending a session waits for Redis to take the announcement before it answers anyway: a blip
 * (a reconnection, a command timed out while the event loop was held up) must not leave the session
 * believed elsewhere after the user was told it ended. Past this, other replicas that still hear Redis
 * may believe it until their entry's max age; replicas that lost Redis too read the database.
 */
export const ANNOUNCE_WAIT_MS = 3_000;

/** What a revocation says: one session ended, or every session of a user. */
type Ended = { sessionId: string } | { userId: string };

/**
 * The sessions this process found in the database lately, so that an authenticated request need not read
 * `sessions` again (docs/operations.md § Replicas). Only used while it is exact: an ended session is
 * dropped here at once and announced on the broadcast to every other replica, and while this process
 * does not hear the broadcast (its Redis subscription is down or silent) nothing is believed from here
 * and nothing is added, so a lost message never keeps an ended session alive. Whenever messages may
 * have been missed the whole cache is dropped.
 */
export class SessionCache {
  private readonly entries = new Map<string, { userId: string; readAt: number }>();
  /** Counts drops: a database read that began before one may have seen a session that has ended since, and is not kept. */
  private drops = 0;

  constructor(
    private readonly broadcast: Broadcast,
    private readonly now: () => number = () => performance.now(),
  ) {
    broadcast.listen(
      (message) => this.drop(parse(message)),
      () => this.drop(undefined),
    );
  }

  /** Whether this user's session was found in the database within the max age and has not been said to end since. */
  has(sessionId: string, userId: string): boolean {
    if (!this.broadcast.hearing) return false;
    const entry = this.entries.get(sessionId);
    if (!entry) return false;
    if (this.now() - entry.readAt >= SESSION_CACHE_MAX_AGE_MS) {
      this.entries.delete(sessionId);
      return false;
    }
    return entry.userId === userId;
  }

  /** Taken just before the database is read; `remember` keeps what the read found only if nothing ended meanwhile. */
  mark(): { drops: number; at: number } {
    return { drops: this.drops, at: this.now() };
  }

  remember(sessionId: string, userId: string, mark: { drops: number; at: number }): void {
    if (mark.drops !== this.drops || !this.broadcast.hearing) return;
    this.entries.delete(sessionId);
    this.entries.set(sessionId, { userId, readAt: mark.at });
    if (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value as string);
  }

  /** Says that sessions ended, here and to every replica: called once the transaction that ended them has committed. */
  async ended(what: Ended): Promise<void> {
    this.drop(what);
    // Retried for as long as another replica could still believe the session from its cache.
    await this.broadcast.publish(JSON.stringify(what), { waitMs: ANNOUNCE_WAIT_MS, retryForMs: SESSION_CACHE_MAX_AGE_MS });
  }

  /** `undefined`: everything (messages may have been missed, or one could not be read). */
  private drop(what: Ended | undefined): void {
    this.drops++;
    if (what === undefined) this.entries.clear();
    else if ('sessionId' in what) this.entries.delete(what.sessionId);
    else for (const [sessionId, entry] of this.entries) if (entry.userId === what.userId) this.entries.delete(sessionId);
  }
}

/** A revocation as published; anything else (another version's message, say) is read as "drop everything". */
function parse(message: string): Ended | undefined {
  try {
    const value = JSON.parse(message) as Record<string, unknown>;
    if (typeof value.sessionId === 'string') return { sessionId: value.sessionId };
    if (typeof value.userId === 'string') return { userId: value.userId };
  } catch {
    // Dropped below, as everything.
  }
  return undefined;
}
