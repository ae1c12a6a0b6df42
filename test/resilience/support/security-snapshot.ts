import { entities } from '../../../src/app';
import { AuditEntryRow } from '../../../src/audit';
import { IdempotencyKeyRow } from '../../../src/platform/http';
import type { TestApp } from '../../support/app';

/**
 * Every row of every table, as text: what an attack must leave exactly as it was. Idempotency keys are
 * left out: a refused request that carried one records its own refusal under the caller's own key,
 * which is how a retry gets the same answer, and touches nobody else's data. So is the audit log: it
 * records an operator's refused requests too, which is what it is for.
 */
export async function snapshot(t: TestApp): Promise<string> {
  return t.db.read(async (tx) => {
    const tables = await Promise.all(
      entities.filter((e) => e !== IdempotencyKeyRow && e !== AuditEntryRow).map(async (e) => (await tx.find(e)).map((row) => JSON.stringify(row)).sort()),
    );
    return JSON.stringify(tables);
  });
}
