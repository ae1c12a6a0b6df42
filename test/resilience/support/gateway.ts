import { SANDBOX_SIGNATURE_HEADER, SandboxGateway } from '../../../src/payments';
import { parseMoney } from '../../../src/platform/money';
import { FLEET_SECRETS } from './fleet';
import { send, type Outcome } from './http';

/**
 * The sandbox payment provider's side of the wire, for a fleet: it signs notifications with the
 * fleet's sandbox secret (the real adapter class does the signing) and delivers them over HTTP to
 * an API process, as the provider would: late, twice, or out of order if the test says so.
 */
export const fleetSandbox = new SandboxGateway(FLEET_SECRETS.sandbox, 300);

export type Notification = ReturnType<SandboxGateway['notification']>;

/** A notification for a payment as the API shows it (`{ id, amount: "100.00" }`), signed at `signedAt`. */
export function notification(payment: { id: string; amount: string }, outcome: 'succeeded' | 'failed', signedAt = new Date()): Notification {
  return fleetSandbox.notification({ id: payment.id, amount: parseMoney(payment.amount) }, outcome, signedAt);
}

/** POSTs a notification to an API process's gateway endpoint, byte for byte as signed. */
export function deliver(baseUrl: string, n: Notification): Promise<Outcome> {
  return send(baseUrl, 'POST', '/v1/payments/notifications/sandbox', {
    rawBody: n.body,
    headers: { [SANDBOX_SIGNATURE_HEADER]: n.headers[SANDBOX_SIGNATURE_HEADER] },
  });
}
