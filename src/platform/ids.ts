import { z } from 'zod';
import { randomUUID } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';

/** Primary keys are random UUIDs: not guessable, so an id in a URL tells nothing about other records. */
export function newId(): string {
  return randomUUID();
}

/**
 * For rows written in bulk (fruit boxes): a UUIDv7, whose first 48 bits are the time, so new rows go to the
 * end of the primary key instead of a random page of it. Its other 74 bits are random: still not guessable,
 * but it tells when the row was made, so use it only where that is no secret.
 */
export function newTimeOrderedId(): string {
  return uuidv7();
}

export const ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** An id in a path, query or body: checked before any lookup, so a malformed one is a 400. */
export const idSchema = z.string().regex(ID_PATTERN, 'must be an id (a UUID)');
