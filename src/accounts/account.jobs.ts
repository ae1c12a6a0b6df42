import { z } from 'zod';
import { BUSINESS_TIME_ZONE } from '../platform/calendar';
import type { Clock } from '../platform/clock';
import { type JobDefinition, defineJob } from '../platform/jobs';
import type { AccountService } from './account.service';
import type { PhoneCodes } from './phone-codes';

/** The accounts module's jobs: expired sessions and old phone sign-in codes are deleted every hour. */
export function accountJobs(accounts: AccountService, phoneCodes: PhoneCodes, clock: Clock): JobDefinition<any>[] {
  return [
    defineJob({
      name: 'accounts.purge-expired-sessions',
      payload: z.strictObject({}),
      schedule: { cron: '47 * * * *', timezone: BUSINESS_TIME_ZONE, payload: {} },
      // Real time, as the tokens' own expiry: a session row outlives its token by less than an hour.
      handle: async (_payload, { logger }) => {
        const purged = await accounts.purgeExpiredSessions(new Date());
        if (purged > 0) logger.info({ purged }, 'expired sessions purged');
      },
    }),
    defineJob({
      name: 'accounts.purge-phone-codes',
      payload: z.strictObject({}),
      schedule: { cron: '53 * * * *', timezone: BUSINESS_TIME_ZONE, payload: {} },
      handle: async (_payload, { logger }) => {
        const purged = await phoneCodes.purge(clock.now());
        if (purged > 0) logger.info({ purged }, 'old phone sign-in codes purged');
      },
    }),
  ];
}
