import { z } from 'zod';
import { randomUUID } from 'node:crypto';

/** Primary keys are random UUIDs: not guessable, so an id in a URL tells nothing about other records. */
export function newId(): string {
  return randomUUID();
}

export const ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** An id in a path, query or body: checked before any lookup, so a malformed one is a 400. */
export const idSchema = z.string().regex(ID_PATTERN, 'must be an id (a UUID)');
