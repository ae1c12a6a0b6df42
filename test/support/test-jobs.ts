import { appendFileSync } from 'node:fs';
import { z } from 'zod';
import { defineJob } from '../../src/platform/jobs';

/**
 * A job for testing the job backend itself: it appends "start <worker> <n>" and "end <worker> <n>"
 * to a log file shared by every worker process, so a test can see who ran what, and how often.
 */
export function recordingJob(options: { logFile: string; worker: string; hang?: boolean; workMs?: number }) {
  return defineJob({
    name: 'test.record',
    payload: z.strictObject({ n: z.number().int() }),
    concurrency: 3,
    handle: async ({ n }) => {
      appendFileSync(options.logFile, `start ${options.worker} ${n} ${Date.now()}\n`);
      // A worker that hangs mid-job stands for one that is about to be killed.
      if (options.hang) await new Promise(() => {});
      await new Promise((resolve) => setTimeout(resolve, options.workMs ?? 20));
      appendFileSync(options.logFile, `end ${options.worker} ${n} ${Date.now()}\n`);
    },
  });
}

export interface LogLine {
  event: 'start' | 'end';
  worker: string;
  n: number;
  at: number;
}

export function parseLog(text: string): LogLine[] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [event, worker, n, at] = line.split(' ');
      return { event: event as LogLine['event'], worker, n: Number(n), at: Number(at) };
    });
}
