import { createHash } from 'node:crypto';
import { createClient } from 'redis';
import type { Logger } from './logger';

/** How long a command may take before it fails (and the caller does without Redis): a rate limit must not hold a request up. */
export const REDIS_COMMAND_TIMEOUT_MS = 250;
/** The subscriber is pinged this often; without an answer for three of them it is taken as deaf (a silently dead connection). */
const PING_INTERVAL_MS = 1000;
const RETRY_PUBLISH_MS = 1000;

/** What a Redis command answers, as the rate-limit store reads it. */
export type RedisReply = boolean | number | string | (boolean | number | string)[];

/** Messages every replica hears, and whether this replica hears them now. */
export interface Broadcast {
  /** True while whatever any replica publishes reaches this process: its subscription is up and answering. */
  readonly hearing: boolean;
  /**
   * Sends to every replica: settles once Redis has taken the message (so it has reached every replica that
   * hears) or the first try failed; a failed one is tried again every second for `retryForMs`. Never rejects.
   */
  publish(message: string, retryForMs: number): Promise<void>;
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
  private readonly retries = new Set<NodeJS.Timeout>();
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

  /** A channel every replica hears (see Broadcast). */
  broadcast(name: string): Broadcast {
    const channel = this.key(name);
    let subscribed = false;
    let lastAnswer = -Infinity;
    const { subscriber, commands } = this;
    return {
      get hearing() {
        return subscribed && subscriber.isReady && performance.now() - lastAnswer < 3 * PING_INTERVAL_MS;
      },
      publish: (message, retryForMs) => {
        const until = performance.now() + retryForMs;
        const attempt = (): Promise<void> =>
          commands.publish(channel, message).then(
            () => {},
            (error: unknown) => {
              this.warn(error);
              if (performance.now() >= until) return;
              const timer = setTimeout(() => {
                this.retries.delete(timer);
                void attempt();
              }, RETRY_PUBLISH_MS);
              this.retries.add(timer);
            },
          );
        return attempt();
      },
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
          .subscribe(channel, onMessage)
          .then(() => {
            subscribed = true;
            answered();
            onGap();
          })
          .catch(() => {});
      },
    };
  }

  /** Closes both connections (and any publish still being retried): nothing is left running. */
  async close(): Promise<void> {
    for (const timer of this.retries) clearTimeout(timer);
    this.retries.clear();
    for (const client of [this.commands, this.subscriber]) {
      if (client.isReady) await client.close().catch(() => client.destroy());
      else if (client.isOpen) client.destroy();
    }
  }
}
