import type { Clock } from '../../src/platform/clock';
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

/** Runs the one-off jobs due by the test clock (Jobs.runDueBy); a liveness bound, not a speed check: on a loaded two-core machine a round of jobs can take a while. */
export async function runDue(t: TestApp, clock: TestClock): Promise<void> {
  await t.app.jobs.runDueBy(clock, 120_000);
}
