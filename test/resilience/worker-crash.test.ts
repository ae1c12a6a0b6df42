import { fromFen } from '../../src/platform/money';
import { aFactory, anOperator } from '../support/builders';
import { anOpenCampaign } from '../support/campaigns';
import { TestClock } from '../support/clock';
import { waitFor } from '../support/wait';
import { boxesPastCutoff } from './support/boxes';
import { Fleet } from './support/fleet';
import { mapLimit } from './support/http';
import { appliedTwice, countBy, expectConsistent, jobsFailedForGood, jobsOutstanding, sqlRows } from './support/invariants';

/**
 * A worker process SIGKILLed in the middle of the two biggest jobs, then a new worker started: the
 * close of a campaign with thousands of pledges (decision, then settlement in batches, then refunds),
 * and the fruit-box cutoff for thousands of boxes (lock, ask the charge, the sandbox confirms it).
 * Whatever the dead worker had done stays done once; the new worker does the rest once.
 */
const PLEDGES = 3000;
const BOXES = 2000;

let fleet: Fleet;
const clock = new TestClock();

beforeAll(async () => {
  fleet = await Fleet.start({ clock });
}, 120_000);
afterAll(() => fleet?.close(), 120_000);

test(`a worker killed while closing a campaign of ${PLEDGES} pledges: a new worker settles each exactly once`, async () => {
  const { t } = fleet;
  const operator = await anOperator(t);
  const factory = await aFactory(t, operator);
  // Succeeds (the threshold is low), with navy/L below its minimum: its pledges are refunded, the rest await their balance.
  const c = await anOpenCampaign(t, operator, factory.id, clock, { variantMinUnits: 20, tiers: [{ minUnits: 100, unitPrice: '899.00' }] });
  const { pledges, payments, sandbox } = t.app.services;
  // Pledged and paid in the test's own process, through the services (as settlement-crash does): the setup is not what is tested.
  await mapLimit(
    Array.from({ length: PLEDGES }, (_, i) => i),
    200,
    async (i) => {
      const variant = i % 300 === 0 ? { colour: 'navy', size: 'L' } : { colour: i % 2 ? 'black' : 'navy', size: 'M' };
      const { payment } = await pledges.placement.create({ role: 'consumer', userId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}` }, c.id, {
        variant,
        quantity: 1,
      });
      const signed = sandbox.notification(payment, 'succeeded', clock.now());
      await payments.handleNotification(sandbox.name, signed.headers, signed.body);
    },
  );
  const dropped = PLEDGES / 300;
  await t.http.post(`/v1/campaigns/${c.id}/close`).set(operator.auth).expect(200);
  const settled = async () => {
    const s = await countBy(t, 'pledges', 'status', 'campaign_id = ?', [c.id]);
    return (s.awaiting_balance ?? 0) + (s.refunded ?? 0);
  };

  const doomed = await fleet.worker('doomed');
  // Killed a few batches into the settlement (batches of 100, one transaction each).
  await waitFor(async () => (await settled()) >= 300, 120_000, 'the settlement to be a few batches in');
  await fleet.kill(doomed);
  const settledBeforeTheCrash = await settled();
  expect(settledBeforeTheCrash).toBeLessThan(PLEDGES);

  // The new worker takes the dead worker's jobs over once their locks expire, and finishes them.
  const rescuer = await fleet.worker('rescuer');
  await waitFor(
    async () => {
      const refunds = await countBy(t, 'refunds', 'status', 'campaign_id = ?', [c.id]);
      return (await settled()) === PLEDGES && refunds.succeeded === dropped && (await jobsOutstanding(t)) === 0;
    },
    240_000,
    'every pledge to be settled and every refund sent',
  );
  await fleet.stop(rescuer);

  // Exactly once: one decision notice per pledge, one refund per dropped pledge, each sent once.
  const statuses = await countBy(t, 'pledges', 'status', 'campaign_id = ?', [c.id]);
  expect(statuses).toEqual({ awaiting_balance: PLEDGES - dropped, refunded: dropped });
  const notices = await countBy(t, 'consumer_notifications', 'kind', 'campaign_id = ?', [c.id]);
  expect(notices).toMatchObject({ deposit_received: PLEDGES, campaign_succeeded: PLEDGES - dropped, variant_not_produced: dropped, refund_sent: dropped });
  const perPledge = await sqlRows(
    t,
    `SELECT p.id FROM pledges p WHERE p.campaign_id = ? AND (SELECT COUNT(*) FROM consumer_notifications n WHERE n.pledge_id = p.id AND n.kind IN ('campaign_succeeded', 'variant_not_produced')) <> 1`,
    [c.id],
  );
  expect(perPledge).toEqual([]);
  const [{ sent }] = await sqlRows(t, "SELECT COUNT(*) AS sent FROM journal_entries WHERE campaign_id = ? AND kind = 'payment_refund_sent'", [c.id]);
  expect(Number(sent)).toBe(dropped);
  const decided = await sqlRows(t, "SELECT version FROM forecast_batches WHERE factory_id = ? AND `trigger` = 'campaign_decided'", [factory.id]);
  expect(decided).toHaveLength(1);
  expect(await jobsFailedForGood(t)).toEqual([]);
  await expectConsistent(t);
  console.log(
    `close of ${PLEDGES} pledges: killed after ${settledBeforeTheCrash} were settled; the new worker settled the other ${PLEDGES - settledBeforeTheCrash}`,
  );
}, 600_000);

test(`a worker killed in the cutoff of ${BOXES} fruit boxes (lock and charge): a new worker finishes, each box charged exactly once`, async () => {
  const { t } = fleet;
  await boxesPastCutoff(t, clock, BOXES);
  const due = (await sqlRows(t, "SELECT id FROM fruit_boxes WHERE status = 'planned' AND cutoff_at <= ?", [new Date()])).map((b) => String(b.id));
  const boxStatuses = async () => {
    const found = await sqlRows(t, `SELECT status, COUNT(*) AS n FROM fruit_boxes WHERE id IN (${due.map(() => '?').join(', ')}) GROUP BY status`, due);
    return Object.fromEntries(found.map((r) => [String(r.status), Number(r.n)])) as Record<string, number>;
  };

  // The worker asks each box's charge and the sandbox, in the same process, confirms it at once.
  const doomed = await fleet.worker('doomed-boxes', { SANDBOX_AUTO_CONFIRM: 'true' });
  await t.db.transaction((tx) => t.app.jobs.enqueue(tx, 'subscriptions.lock-due-boxes', {}));
  await waitFor(async () => (await boxStatuses()).planned <= due.length - 400, 120_000, 'the cutoff job to be a few batches in');
  await fleet.kill(doomed);
  const killedAt = new Date();
  const atTheCrash = await boxStatuses();
  expect(atTheCrash.planned).toBeGreaterThan(0);

  // The sandbox's confirmations of the charges the dead worker asked for were still in its memory and
  // died with it. The provider's own notifications for those charges arrive now (it charged the cards
  // whatever happened to us), and for a hundred boxes it sends its notification a second time.
  const { payments, sandbox } = t.app.services;
  const deliver = (p: Record<string, unknown>) => {
    const signed = sandbox.notification({ id: String(p.id), amount: fromFen(String(p.amount_fen)) }, 'succeeded', new Date());
    return payments.handleNotification(sandbox.name, signed.headers, signed.body);
  };
  const unconfirmed = await sqlRows(t, "SELECT id, amount_fen FROM payments WHERE kind = 'box' AND status = 'pending' AND created_at <= ?", [killedAt]);
  await mapLimit(unconfirmed, 20, deliver);

  // The new worker takes the cutoff job over once its lock expires, locks the rest and (its sandbox) confirms their charges.
  const rescuer = await fleet.worker('rescuer-boxes', { SANDBOX_AUTO_CONFIRM: 'true' });
  await waitFor(async () => (await boxStatuses()).paid === due.length && (await jobsOutstanding(t)) === 0, 300_000, 'every due box to be locked and paid');
  const duplicates = await sqlRows(t, "SELECT id, amount_fen FROM payments WHERE kind = 'box' AND status = 'succeeded' LIMIT 100");
  expect(await mapLimit(duplicates, 20, deliver)).toEqual(duplicates.map(() => 'already_settled'));
  await fleet.stop(rescuer);

  // Exactly once per box: one charge asked, one payment received, one ledger entry, one message.
  const boxes = await sqlRows(
    t,
    `SELECT b.id, (SELECT COUNT(*) FROM payments p WHERE p.box_id = b.id) AS asked, (SELECT COUNT(*) FROM payments p WHERE p.box_id = b.id AND p.status = 'succeeded') AS paid,
       (SELECT COUNT(*) FROM journal_entries e WHERE e.box_id = b.id AND e.kind = 'box_charged') AS entries,
       (SELECT COUNT(*) FROM consumer_notifications n WHERE n.kind = 'box_charged' AND JSON_VALUE(n.data, '$.boxId') = b.id) AS notices
     FROM fruit_boxes b WHERE b.id IN (${due.map(() => '?').join(', ')})`,
    due,
  );
  expect(boxes.filter((b) => Number(b.asked) !== 1 || Number(b.paid) !== 1 || Number(b.entries) !== 1 || Number(b.notices) !== 1)).toEqual([]);
  expect(await appliedTwice(t)).toEqual([]);
  expect(await jobsFailedForGood(t)).toEqual([]);
  await expectConsistent(t);
  console.log(
    `cutoff of ${due.length} boxes: killed with ${JSON.stringify(atTheCrash)}; ${unconfirmed.length} of its charges confirmed by the provider afterwards`,
  );
}, 600_000);
