import { createHash, randomUUID } from 'node:crypto';
import { createClient } from 'redis';
import type { Logger } from './logger';

/** How long a command may take before it fails (and the caller does without Redis): a rate limit must not hold a request up. */
export const REDIS_COMMAND_TIMEOUT_MS = 250;
/** The subscriber is pinged this often; without an answer for three of them it is taken as deaf (a silently dead connection). */
const PING_INTERVAL_MS = 1000;
const RETRY_PUBLISH_MS = 200;

/** What a Redis command answers, as the rate-limit store reads it. */
export type RedisReply = boolean | number | string | (boolean | number | string)[];

/** Messages every replica hears, and whether this replica hears them now. */
export interface Broadcast {
  /** True while whatever any replica publishes reaches this process: its subscription is up and answering. */
  readonly hearing: boolean;
  /**
   * Sends to every replica: settles once every replica that Redis delivered the message to has handled it
   * (each says so on a second channel; Redis answering PUBLISH only means the message is on its way), or after
   * `waitMs`. A failed try is tried again every 200 ms for `retryForMs`: a blip, or a command timed out while
   * the event loop was held up, costs a short wait, not a lost message. Never rejects.
   */
  publish(message: string, options: { waitMs: number; retryForMs: number }): Promise<void>;
  /** One listener: `onMessage` for each message, `onGap` whenever messages may have been missed (hearing stopped or started again). */
  listen(onMessage: (message: string) => void, onGap: () => void): void;
}

/** One process alone: it hears everything it says, so nothing needs sending (SINGLE_REPLICA). */
export const ONE_PROCESS: Broadcast = { hearing: true, publish: async () => {}, listen: () => {} };

/** A function that logs `message` at most once every 10 s, so an outage is said without flooding the log. */
export function warnEvery10s(logger: Logger, message: string): (error: unknown) => void {
  let last = -Infinity;
  return (error) => {
    const now = performance.now();
    if (now - last < 10_000) return;
    last = now;
    logger.warn({ err: error }, message);
  };
}

/**
 * The process's Redis (REDIS_URL), shared by every replica: one connection for commands (the rate limits'
 * counters, publishing) and one that subscribes. Neither waits for Redis: a command while it is out of
 * reach fails at once, one that takes longer than REDIS_COMMAND_TIMEOUT_MS fails then, and both
 * connections reconnect by themselves. Every key and channel starts with `prefix` (REDIS_KEY_PREFIX),
 * so several installations can share one Redis.
 */
export class SharedRedis {
  private readonly commands;
  private readonly subscriber;
  /** Publishes waiting to be tried again, and callers' waits. */
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Callers of `publish` still waiting for Redis to take their message. */
  private readonly waiting = new Set<() => void>();
  private readonly warn: (error: unknown) => void;

  constructor(private readonly options: { url: string; keyPrefix: string; logger: Logger }) {
    this.warn = warnEvery10s(options.logger, 'Redis cannot be reached: rate limits are not counted and sessions are checked in the database until it is back');
    const reconnectStrategy = (retries: number, cause: Error) => {
      this.warn(cause);
      return Math.min(100 * 2 ** retries, 1000);
    };
    this.commands = createClient({
      url: options.url,
      disableOfflineQueue: true,
      socket: { reconnectStrategy, connectTimeout: 2000 },
      commandOptions: { timeout: REDIS_COMMAND_TIMEOUT_MS, rejectInFlight: true },
    });
    // The subscriber keeps what it is told while offline (its SUBSCRIBE waits for the connection) and
    // subscribes again after every reconnection before it says it is ready.
    this.subscriber = createClient({ url: options.url, pingInterval: PING_INTERVAL_MS, socket: { reconnectStrategy, connectTimeout: 2000 } });
    for (const client of [this.commands, this.subscriber]) {
      client.on('error', this.warn);
      // Rejects only when closed before it ever connected; the reconnect strategy says why meanwhile.
      client.connect().catch(() => {});
    }
  }

  /** The key or channel name `name` under this installation's prefix. */
  key(name: string): string {
    return `${this.options.keyPrefix}${name}`;
  }

  /**
   * A raw command, as rate-limit-redis sends them. A SCRIPT LOAD that fails answers the script's SHA1
   * (what Redis would answer) instead of failing: rate-limit-redis keeps the answer for good, and a
   * failure kept would leave that limit uncounted even after Redis is back; a script missing from Redis
   * is loaded again when EVALSHA says NOSCRIPT.
   */
  async send(args: string[]): Promise<RedisReply> {
    try {
      return await this.commands.sendCommand<RedisReply>(args);
    } catch (error) {
      if (args[0] === 'SCRIPT' && args[1] === 'LOAD' && args[2] !== undefined) return createHash('sha1').update(args[2]).digest('hex');
      throw error;
    }
  }

  /**
   * A channel every replica hears (see Broadcast). A message goes out as `<id> <message>`; a replica that has
   * handled it publishes the id on `<channel>:handled`, which the sender counts against the number of
   * subscribers Redis delivered to (the sender's own included).
   */
  broadcast(name: string): Broadcast {
    const channel = this.key(name);
    const handledChannel = `${channel}:handled`;
    let subscribed = false;
    let lastAnswer = -Infinity;
    const { subscriber, commands } = this;
    /** For each message of ours still waiting: called as each replica says it has handled it. */
    const sent = new Map<string, () => void>();
    subscriber.subscribe(handledChannel, (id) => sent.get(id)?.()).catch(() => {});
    return {
      get hearing() {
        return subscribed && subscriber.isReady && performance.now() - lastAnswer < 3 * PING_INTERVAL_MS;
      },
      publish: (message, { waitMs, retryForMs }) =>
        new Promise<void>((resolve) => {
          const id = randomUUID();
          const until = performance.now() + retryForMs;
          let receivers = Infinity;
          let handled = 0;
          // The caller goes on once every receiver has handled the message, after waitMs, or when Redis is closed.
          const settle = () => {
            sent.delete(id);
            this.waiting.delete(settle);
            this.cancel(wait);
            resolve();
          };
          const wait = this.after(waitMs, settle);
          this.waiting.add(settle);
          sent.set(id, () => ++handled >= receivers && settle());
          const attempt = (): Promise<void> =>
            commands.publish(channel, `${id} ${message}`).then(
              (delivered) => {
                receivers = delivered;
                if (handled >= receivers) settle();
              },
              (error: unknown) => {
                this.warn(error);
                if (performance.now() < until) this.after(RETRY_PUBLISH_MS, () => void attempt());
                else settle();
              },
            );
          void attempt();
        }),
      listen: (onMessage, onGap) => {
        const answered = () => (lastAnswer = performance.now());
        subscriber.on('ping-interval', answered);
        // A broken connection may have lost messages; 'ready' comes after the subscription is renewed.
        subscriber.on('error', onGap);
        subscriber.on('ready', () => {
          answered();
          onGap();
        });
        subscriber
          .subscribe(channel, (envelope) => {
            const space = envelope.indexOf(' ');
            // Without an id (another version's message) there is nobody to tell.
            onMessage(space < 0 ? envelope : envelope.slice(space + 1));
            if (space > 0) commands.publish(handledChannel, envelope.slice(0, space)).catch(this.warn);
          })
          .then(() => {
            subscribed = true;
            answered();
            onGap();
          })
          .catch(() => {});
      },
    };
  }

  /** Runs `then` in `ms`, unless cancelled or closed first. */
  private after(ms: number, then: () => void): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      then();
    }, ms);
    this.timers.add(timer);
    return timer;
  }

  private cancel(timer: NodeJS.Timeout): void {
    clearTimeout(timer);
    this.timers.delete(timer);
  }

  /** Closes both connections (and any publish still being retried): nothing is left running. */
  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const settle of this.waiting) settle();
    this.waiting.clear();
    for (const client of [this.commands, this.subscriber]) {
      if (client.isReady) await client.close().catch(() => client.destroy());
      else if (client.isOpen) client.destroy();
    }
  }
}
