import { SESSION_CACHE_MAX_AGE_MS, SessionCache } from '../../src/accounts/session-cache';
import type { Broadcast } from '../../src/platform/redis';

/** A broadcast the test plays: whether this process hears, and messages from other replicas. */
class Channel implements Broadcast {
  hearing = true;
  published: string[] = [];
  private onMessage: (message: string) => void = () => {};
  private onGap: () => void = () => {};
  async publish(message: string): Promise<void> {
    this.published.push(message);
  }
  listen(onMessage: (message: string) => void, onGap: () => void): void {
    this.onMessage = onMessage;
    this.onGap = onGap;
  }
  hear(message: object | string): void {
    this.onMessage(typeof message === 'string' ? message : JSON.stringify(message));
  }
  /** The subscription broke (or came back): messages may have been missed. */
  gap(hearing: boolean): void {
    this.hearing = hearing;
    this.onGap();
  }
}

describe('the session cache', () => {
  let now: number;
  let channel: Channel;
  let cache: SessionCache;
  const read = (sessionId: string, userId: string) => cache.remember(sessionId, userId, cache.mark());
  beforeEach(() => {
    now = 0;
    channel = new Channel();
    cache = new SessionCache(channel, () => now);
  });

  test('believes a session found in the database, for that user only, for less than the max age', () => {
    expect(cache.has('s1', 'u1')).toBe(false);
    read('s1', 'u1');
    expect(cache.has('s1', 'u1')).toBe(true);
    expect(cache.has('s1', 'u2')).toBe(false);
    now = SESSION_CACHE_MAX_AGE_MS - 1;
    expect(cache.has('s1', 'u1')).toBe(true);
    now = SESSION_CACHE_MAX_AGE_MS;
    expect(cache.has('s1', 'u1')).toBe(false);
  });

  test('the max age counts from when the database read began', () => {
    const mark = cache.mark();
    now = SESSION_CACHE_MAX_AGE_MS;
    cache.remember('s1', 'u1', mark);
    expect(cache.has('s1', 'u1')).toBe(false);
  });

  test('a session ended here is dropped at once and announced to the other replicas', async () => {
    read('s1', 'u1');
    read('s2', 'u1');
    read('s3', 'u2');
    await cache.ended({ sessionId: 's1' });
    expect([cache.has('s1', 'u1'), cache.has('s2', 'u1'), cache.has('s3', 'u2')]).toEqual([false, true, true]);
    await cache.ended({ userId: 'u1' });
    expect([cache.has('s2', 'u1'), cache.has('s3', 'u2')]).toEqual([false, true]);
    expect(channel.published.map((m) => JSON.parse(m))).toEqual([{ sessionId: 's1' }, { userId: 'u1' }]);
  });

  test('an ending heard from another replica drops the session, or every session of the user; a message it cannot read drops everything', () => {
    read('s1', 'u1');
    read('s2', 'u1');
    read('s3', 'u2');
    channel.hear({ sessionId: 's1' });
    expect([cache.has('s1', 'u1'), cache.has('s2', 'u1')]).toEqual([false, true]);
    channel.hear({ userId: 'u1' });
    expect([cache.has('s2', 'u1'), cache.has('s3', 'u2')]).toEqual([false, true]);
    for (const unreadable of ['not json', 'null', '{"tokenId":"t"}']) {
      read('s3', 'u2');
      channel.hear(unreadable);
      expect(cache.has('s3', 'u2')).toBe(false);
    }
  });

  test('a database read that began before an ending is not kept: it may have seen the session before it was deleted', () => {
    const mark = cache.mark();
    channel.hear({ sessionId: 'other' });
    cache.remember('s1', 'u1', mark);
    expect(cache.has('s1', 'u1')).toBe(false);
  });

  test('while it does not hear the others nothing is believed or kept, and after a gap it starts empty', () => {
    read('s1', 'u1');
    channel.gap(false);
    expect(cache.has('s1', 'u1')).toBe(false);
    read('s2', 'u2');
    channel.gap(true);
    expect([cache.has('s1', 'u1'), cache.has('s2', 'u2')]).toEqual([false, false]);
    read('s1', 'u1');
    expect(cache.has('s1', 'u1')).toBe(true);
  });

  test('a silent subscription (hearing stops without an error) is not believed, even for sessions read before', () => {
    read('s1', 'u1');
    channel.hearing = false;
    expect(cache.has('s1', 'u1')).toBe(false);
  });
});
