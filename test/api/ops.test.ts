import { startTestApp, type TestApp } from '../support/app';
import { anOperator } from '../support/builders';

const METRICS_TOKEN = 'metrics-scraper-token-0123456789abcdef';
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ runsWorker: true, env: { METRICS_TOKEN }, processMetrics: true });
});
afterAll(() => t.close());

describe('operations endpoints', () => {
  test('/healthz says the process is up', async () => {
    expect((await t.http.get('/healthz').expect(200)).body).toEqual({ status: 'ok' });
  });

  test('/readyz checks the database, the migrations and the job worker', async () => {
    const res = await t.http.get('/readyz').expect(200);
    expect(res.body).toEqual({ status: 'ready', checks: { database: 'ok', migrations: 'ok', jobs: 'ok' } });
  });

  test('/readyz is a 503 when this process should run jobs and its worker has stopped', async () => {
    const stopped = await startTestApp({ runsWorker: true });
    try {
      await stopped.app.jobs.stopWorker();
      const res = await stopped.http.get('/readyz').expect(503);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ code: 'not_ready', detail: expect.stringContaining('jobs stopped') });
    } finally {
      await stopped.close();
    }
  });

  test('/readyz is a 503 when the database is gone', async () => {
    const gone = await startTestApp();
    await gone.db.dataSource.destroy();
    const res = await gone.http.get('/readyz').expect(503);
    expect(res.body.detail).toContain('database unreachable');
    await gone.close();
  });

  test('/metrics exposes request durations by route template and job runs', async () => {
    const operator = await anOperator(t);
    await t.http.get('/v1/factories/00000000-0000-4000-8000-000000000000').set(operator.auth).expect(404);
    await t.app.jobs.runDueJobs(5000);
    const res = await t.http.get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toMatch(/http_request_duration_seconds_count\{method="GET",route="\/v1\/factories\/:id",status="404"\} 1/);
    expect(res.text).not.toContain('00000000-0000-4000-8000-000000000000');
    expect(res.text).toContain('# TYPE job_runs_total counter');
    expect(res.text).toContain('process_cpu_seconds_total');
  });

  test("/metrics answers only the scraper holding METRICS_TOKEN: no token, a wrong one or a user's token is a 401", async () => {
    const operator = await anOperator(t);
    for (const auth of [
      undefined,
      'Bearer wrong-token-wrong-token-wrong-token',
      `Bearer ${METRICS_TOKEN}x`,
      operator.auth.Authorization,
      `Basic ${Buffer.from(`x:${METRICS_TOKEN}`).toString('base64')}`,
    ]) {
      const req = t.http.get('/metrics');
      const res = await (auth ? req.set('Authorization', auth) : req).expect(401);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="metrics"');
      expect(res.body.code).toBe('unauthenticated');
      expect(res.text).not.toContain('http_request_duration_seconds');
    }
  });

  test('/metrics is off when no METRICS_TOKEN is set', async () => {
    const plain = await startTestApp();
    try {
      const res = await plain.http.get('/metrics').expect(404);
      expect(res.body).toMatchObject({ code: 'metrics_disabled' });
      expect(res.text).not.toContain('process_cpu_seconds_total');
    } finally {
      await plain.close();
    }
  });

  test('/docs serves the API description', async () => {
    const page = await t.http.get('/docs/').expect(200);
    expect(page.text).toContain('swagger-ui');
    // The page loads the committed file itself.
    expect((await t.http.get('/docs/swagger-ui-init.js').expect(200)).text).toContain('/docs/openapi.yaml');
    const yaml = await t.http.get('/docs/openapi.yaml').expect(200);
    expect(yaml.text).toMatch(/^openapi: 3\.1/m);
  });
});
