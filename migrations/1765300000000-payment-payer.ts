import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';
import { col } from '../src/platform/database/schema';

/**
 * Who paid, as the provider knows them (a WeChat Pay openid, an Alipay user id): a deposit's
 * compensation (定金双倍返还) is paid to them as a transfer, since a refund cannot exceed its payment.
 * Payments made before this have none (null).
 */
export class PaymentPayer1765300000000 implements MigrationInterface {
  name = 'PaymentPayer1765300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn('payments', new TableColumn(col.text('payer', 128, true)));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('payments', 'payer');
  }
}
