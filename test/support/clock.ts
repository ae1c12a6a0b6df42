import type { Clock } from '../../src/platform/clock';
import { JobRow } from '../../src/platform/jobs';
import type { TestApp } from './app';

/** Real time plus an offset the test moves forward: deadlines pass without waiting for them. */
export class TestClock implements Clock {
  offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
}

/**
 * Moves the clock forward and runs every job that has come due by it, including jobs those jobs
 * schedule, until none is due. Job rows due by the test clock are brought forward to the real now,
 * because agenda itself polls on real time.
 */
export async function advance(t: TestApp, clock: TestClock, ms: number): Promise<void> {
  clock.offsetMs += ms;
  await runDue(t, clock);
}

/** One-off jobs due by the test clock. Recurring (cron) jobs follow agenda's real clock and are left alone. */
const ONE_OFF = 'next_run_at <= :due AND disabled = :off AND repeat_interval IS NULL';

export async function runDue(t: TestApp, clock: TestClock): Promise<void> {
  for (let round = 0; round < 20; round++) {
    const realNow = new Date();
    await t.db.transaction((tx) =>
      tx
        .createQueryBuilder()
        .update(JobRow)
        .set({ nextRunAt: realNow })
        .where(`${ONE_OFF} AND next_run_at > :now`, { due: clock.now(), now: realNow, off: false })
        .execute(),
    );
    // A liveness bound, not a speed check: on a loaded two-core machine a round of jobs can take a while.
    const { remaining } = await t.app.jobs.runDueJobs(120_000);
    if (remaining > 0) throw new Error(`${remaining} jobs still due after 120 s`);
    const dueByClock = await t.db.read((tx) => tx.createQueryBuilder(JobRow, 'j').where(ONE_OFF, { due: clock.now(), off: false }).getCount());
    if (dueByClock === 0) return;
  }
  const stuck = await t.db.read((tx) => tx.createQueryBuilder(JobRow, 'j').where(ONE_OFF, { due: clock.now(), off: false }).getMany());
  throw new Error(`jobs kept coming due: ${stuck.map((j) => `${j.name} (${j.failCount} failures: ${j.failReason})`).join('; ')}`);
}
