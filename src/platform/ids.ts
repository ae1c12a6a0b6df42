import { randomUUID } from 'node:crypto';

/** Primary keys are random UUIDs: not guessable, so an id in a URL tells nothing about other records. */
export function newId(): string {
  return randomUUID();
}

export const ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
