import type { MigrationInterface, QueryRunner } from 'typeorm';
import { variantKey } from '../src/campaigns/campaign';
import { variantFromKey } from '../src/campaigns/variant-key';
import type { OptionDimension } from '../src/campaigns/campaign.entity';

/** Every column that holds a campaign's variant keys, beside its campaign_id. */
const KEY_COLUMNS = [
  ['pledges', 'variant_key'],
  ['pledge_tallies', 'variant_key'],
  ['forecast_lines', 'variant'],
] as const;

/**
 * Variant keys escape "=", ";" and "%" in option values (campaign.ts, variantKey). Keys written before
 * joined the raw values, so a value with one of them was cut off when read back, and two variants could
 * share a key. Only campaigns with such a value have keys to rewrite; every other key is unchanged. A
 * stored key is matched against the campaign's options to find the variant it was written for; where two
 * variants shared a key, nothing tells their pledges apart, and the key goes to the first of them in the
 * options' order.
 */
export class VariantKeys1764920000000 implements MigrationInterface {
  name = 'VariantKeys1764920000000';

  async up(q: QueryRunner): Promise<void> {
    await rewriteKeys(q, (options, key) => {
      const values = valuesOfRawKey(options, key);
      if (!values) return key;
      const rewritten = variantKey(options, Object.fromEntries(options.map((o, i) => [o.name, values[i]])));
      return 'key' in rewritten ? rewritten.key : key;
    });
  }

  async down(q: QueryRunner): Promise<void> {
    // Back to the raw values joined; fails (a duplicate key in pledge_tallies) where two variants would share a key again.
    await rewriteKeys(q, (options, key) => options.map((o) => `${o.name}=${variantFromKey(key)[o.name]}`).join(';'));
  }
}

async function rewriteKeys(q: QueryRunner, rewrite: (options: OptionDimension[], key: string) => string): Promise<void> {
  const campaigns = (await q.query('SELECT id, options, dropped_variants FROM campaigns')) as {
    id: string;
    options: string;
    dropped_variants: string | null;
  }[];
  for (const campaign of campaigns) {
    const options = JSON.parse(campaign.options) as OptionDimension[];
    if (!options.some((o) => o.values.some((v) => /[%;=]/.test(v)))) continue;
    const stored = new Set<string>();
    for (const [table, column] of KEY_COLUMNS) {
      for (const row of (await q.query(`SELECT DISTINCT ${column} AS k FROM ${table} WHERE campaign_id = ?`, [campaign.id])) as { k: string }[])
        stored.add(row.k);
    }
    const renames = [...stored].map((from) => ({ from, to: rewrite(options, from) })).filter((r) => r.to !== r.from);
    // Through a temporary key first ("#n" has no "=", so no real key is ever one): a new key may be another variant's old key.
    for (const [i, r] of renames.entries()) await renameKey(q, campaign.id, r.from, `#${i}`);
    for (const [i, r] of renames.entries()) await renameKey(q, campaign.id, `#${i}`, r.to);
    if (campaign.dropped_variants) {
      const dropped = (JSON.parse(campaign.dropped_variants) as string[]).map((key) => rewrite(options, key));
      await q.query('UPDATE campaigns SET dropped_variants = ? WHERE id = ?', [JSON.stringify(dropped), campaign.id]);
    }
  }
}

async function renameKey(q: QueryRunner, campaignId: string, from: string, to: string): Promise<void> {
  for (const [table, column] of KEY_COLUMNS) await q.query(`UPDATE ${table} SET ${column} = ? WHERE campaign_id = ? AND ${column} = ?`, [to, campaignId, from]);
}

/** The values a key written the old way (raw values joined) was made of, or undefined if it matches no variant. */
function valuesOfRawKey(options: OptionDimension[], key: string): string[] | undefined {
  const match = (i: number, rest: string): string[] | undefined => {
    const prefix = `${options[i].name}=`;
    if (!rest.startsWith(prefix)) return undefined;
    const tail = rest.slice(prefix.length);
    for (const value of options[i].values) {
      if (i === options.length - 1) {
        if (tail === value) return [value];
      } else if (tail.startsWith(`${value};`)) {
        const others = match(i + 1, tail.slice(value.length + 1));
        if (others) return [value, ...others];
      }
    }
    return undefined;
  };
  return match(0, key);
}
