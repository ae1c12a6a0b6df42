import { randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import type { TestApp } from './app';
import type { Caller } from './builders';
import type { Clock } from '../../src/platform/clock';

/** A subscription request for the weekly family box from today: Saturdays, Shanghai, three people, no exclusions. */
export function familyOfThree(clock: Clock, overrides: object = {}) {
  return {
    planId: 'weekly-family',
    startDate: DateTime.fromJSDate(clock.now(), { zone: 'Asia/Shanghai' }).toISODate(),
    deliveryWeekday: 6,
    region: 'shanghai',
    householdSize: 3,
    exclusions: [],
    ...overrides,
  };
}

/** Subscribes the consumer (familyOfThree with these overrides) through the API; answers the request. */
export function subscribe(t: TestApp, consumer: Caller, clock: Clock, overrides: object = {}) {
  return t.http.post('/v1/subscriptions').set(consumer.auth).set('Idempotency-Key', randomUUID()).send(familyOfThree(clock, overrides));
}
