import { createHash } from 'node:crypto';
import type { Clock } from '../platform/clock';
import { FreshCache } from '../platform/fresh-cache';
import { AppError } from '../platform/http/app-error';
import { page, type Page } from '../platform/http/paginate';
import type { CampaignListQuery } from './campaign.schemas';
import { toCampaignDto, type CampaignDto } from './campaign.schemas';
import type { CampaignService } from './campaign.service';
import type { z } from 'zod';

export type { CampaignDto };

/** A public answer as it was read, with its validator. */
export interface Validated<T> {
  body: T;
  /** A weak ETag (W/"…") of everything in the body but `secondsLeft`, which counts down without the campaign changing. */
  etag: string;
}

/** Shared caches may keep a public read this long; a browser revalidates after it (ETag → 304). */
export const PUBLIC_CACHE_CONTROL = 'public, max-age=1';

/**
 * What anyone who is not an operator sees of campaigns (a consumer and an anonymous visitor see the
 * same), read through a cache of at most `maxAgeMs` per campaign and per list page, one database read
 * at a time per key: a campaign shared into a chat group costs one read a second per process however
 * many open it. Operators read around it (they see drafts, and their own changes at once).
 *
 * Staleness bound: an answer shows the database as it was at most `maxAgeMs` before the request
 * arrived (counted from the start of the read), and what a process answers for a key only moves forward.
 * `secondsLeft` is computed at each answer, from `closesAt`.
 */
export class CampaignReads {
  private readonly one: FreshCache<string, Validated<CampaignDto> | undefined>;
  private readonly lists: FreshCache<string, Validated<Page<CampaignDto>>>;

  constructor(
    private readonly deps: {
      campaigns: CampaignService;
      clock: Clock;
      maxAgeMs: number;
      /** Told of each database read the cache makes (a metric). */ onLoad?: () => void;
    },
  ) {
    this.one = new FreshCache({ maxAgeMs: deps.maxAgeMs, maxEntries: 10_000 });
    this.lists = new FreshCache({ maxAgeMs: deps.maxAgeMs, maxEntries: 1_000 });
  }

  /** Database reads the cache has made: what the hot pages cost (for tests and the benchmark). */
  get loads(): number {
    return this.one.loads + this.lists.loads;
  }

  /** A published campaign, or undefined if there is none by that id (or it is a draft). */
  async campaign(id: string): Promise<Validated<CampaignDto> | undefined> {
    const read = await this.one.get(id, async () => {
      this.deps.onLoad?.();
      try {
        const { campaign, progress } = await this.deps.campaigns.get(undefined, id);
        return validated(toCampaignDto(campaign, progress, this.deps.clock.now()));
      } catch (error) {
        if (error instanceof AppError && error.status === 404) return undefined;
        throw error;
      }
    });
    return read && { body: withSecondsLeft(read.body, this.deps.clock.now()), etag: read.etag };
  }

  async list(query: z.infer<typeof CampaignListQuery>): Promise<Validated<Page<CampaignDto>>> {
    const key = JSON.stringify([query.limit, query.offset, query.status ?? null, query.factoryId ?? null, query.q ?? null]);
    const read = await this.lists.get(key, async () => {
      this.deps.onLoad?.();
      const { items, total } = await this.deps.campaigns.list(undefined, query);
      const now = this.deps.clock.now();
      return validated(
        page(
          items.map(({ campaign, progress }) => toCampaignDto(campaign, progress, now)),
          total,
          query,
        ),
      );
    });
    const now = this.deps.clock.now();
    return { body: { ...read.body, items: read.body.items.map((c) => withSecondsLeft(c, now)) }, etag: read.etag };
  }
}

/** The body with its weak ETag; the countdown is left out of it so that a live campaign revalidates to 304 while nothing else changed. */
export function validated<T>(body: T): Validated<T> {
  const json = JSON.stringify(body, (key, value: unknown) => (key === 'secondsLeft' ? undefined : value));
  return { body, etag: `W/"${createHash('sha1').update(json).digest('base64url')}"` };
}

function withSecondsLeft(dto: CampaignDto, now: Date): CampaignDto {
  const counting = dto.status === 'scheduled' || dto.status === 'open';
  const secondsLeft = counting ? Math.max(0, Math.floor((Date.parse(dto.closesAt) - now.getTime()) / 1000)) : 0;
  return secondsLeft === dto.progress.secondsLeft ? dto : { ...dto, progress: { ...dto.progress, secondsLeft } };
}
