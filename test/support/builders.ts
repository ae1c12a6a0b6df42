import { randomBytes } from 'node:crypto';
import { type TestApp, startTestApp } from './app';
import { TestClock } from './clock';

const unique = () => randomBytes(4).toString('hex');

export interface Caller {
  token: string;
  userId: string;
  email: string;
  auth: { Authorization: string };
}

function caller(token: string, userId: string, email: string): Caller {
  return { token, userId, email, auth: { Authorization: `Bearer ${token}` } };
}

/** A consumer who signed up through the API. */
export async function aConsumer(t: TestApp, overrides: { email?: string; password?: string } = {}): Promise<Caller> {
  const email = overrides.email ?? `consumer-${unique()}@example.com`;
  const res = await t.http
    .post('/v1/auth/register')
    .send({ email, password: overrides.password ?? 'correct horse battery' })
    .expect(201);
  return caller(res.body.token, res.body.user.id, email);
}

/** Another sign-in of an existing account: a session of its own. */
export async function aSession(t: TestApp, email: string, password: string): Promise<Caller> {
  const res = await t.http.post('/v1/auth/login').send({ email, password }).expect(200);
  return caller(res.body.token, res.body.user.id, email);
}

/** An operator made as the CLI makes one, then signed in through the API. */
export async function anOperator(t: TestApp): Promise<Caller> {
  const email = `operator-${unique()}@example.com`;
  const password = 'operator password 1';
  await t.app.services.accounts.createOperator({ email, password });
  return aSession(t, email, password);
}

/** Where most API tests start: the app on a test clock, an operator signed in, and a factory they onboarded. */
export async function aFactoryWorld(options: Omit<Parameters<typeof startTestApp>[0], 'clock'> = {}): Promise<{
  t: TestApp;
  clock: TestClock;
  operator: Caller;
  factoryId: string;
}> {
  const clock = new TestClock();
  const t = await startTestApp({ ...options, clock });
  const operator = await anOperator(t);
  return { t, clock, operator, factoryId: (await aFactory(t, operator)).id };
}

/** A factory onboarded by an operator, with one portal user signed in. */
export async function aFactory(t: TestApp, operator: Caller, kind: 'manufacturer' | 'orchard' = 'manufacturer'): Promise<{ id: string; user: Caller }> {
  const factory = await t.http
    .post('/v1/factories')
    .set(operator.auth)
    .send({ name: `Factory ${unique()}`, kind, contactEmail: `plant-${unique()}@example.com` })
    .expect(201);
  const email = `planner-${unique()}@example.com`;
  const password = 'factory password 1';
  await t.http.post(`/v1/factories/${factory.body.id}/users`).set(operator.auth).send({ email, password }).expect(201);
  return { id: factory.body.id, user: await aSession(t, email, password) };
}
