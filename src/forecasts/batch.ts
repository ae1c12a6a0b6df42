/** Forecast batch rules, pure: the lines of a new version against the previous one, and forecast accuracy. */

/** Where a line's demand comes from: a campaign's pledges, or another module's supply (an orchard's fruit for the boxes). */
export type LineKind = 'campaign' | 'supply';

export interface LineContent {
  kind: LineKind;
  /** The campaign's id for a campaign line; the supply key (e.g. `fruit:mango`) for a supply line. */
  sourceKey: string;
  /** The campaign's id for a campaign line (the same as sourceKey); null for a supply line. */
  campaignId: string | null;
  campaignTitle: string;
  productName: string;
  variant: string;
  shipWeek: string;
  firmUnits: number;
  expectedUnits: number;
  lowUnits: number;
  highUnits: number;
}

export type LineChange = 'new' | 'changed' | 'unchanged' | 'removed';

/** A unit of measure: pieces (every campaign's units; fruit counted by the piece) or kilograms. */
export type MeasureUnit = 'piece' | 'kg';
const UNITS: readonly MeasureUnit[] = ['piece', 'kg'];

/** A line's unit: a supply line's variant is its unit (kg or piece); a campaign line counts pieces. forecast.service's SQL says the same. */
export const lineUnit = (line: Pick<LineContent, 'kind' | 'variant'>): MeasureUnit => (line.kind === 'supply' && line.variant === 'kg' ? 'kg' : 'piece');

export interface UnitTotal {
  unit: MeasureUnit;
  firmUnits: number;
  expectedUnits: number;
}

/** Firm and expected units per unit of measure, pieces first: kilograms and pieces are never added together. A unit no line has is left out. */
export function unitTotals(lines: readonly Pick<LineContent, 'kind' | 'variant' | 'firmUnits' | 'expectedUnits'>[]): UnitTotal[] {
  return sortedTotals(lines.map((l) => ({ unit: lineUnit(l), firmUnits: l.firmUnits, expectedUnits: l.expectedUnits })));
}

/** Adds up totals of the same unit and orders them pieces first. */
export function sortedTotals(parts: readonly UnitTotal[]): UnitTotal[] {
  return UNITS.flatMap((unit) => {
    const mine = parts.filter((p) => p.unit === unit);
    if (mine.length === 0) return [];
    return [{ unit, firmUnits: mine.reduce((t, p) => t + p.firmUnits, 0), expectedUnits: mine.reduce((t, p) => t + p.expectedUnits, 0) }];
  });
}

export interface NewLine extends LineContent {
  previousFirmUnits: number | null;
  previousExpectedUnits: number | null;
  change: LineChange;
}

// The week is part of a line's identity: supply lines (fruit) repeat per week; a campaign has one.
export const lineKey = (line: Pick<LineContent, 'kind' | 'sourceKey' | 'variant' | 'shipWeek'>) =>
  `${line.kind}|${line.sourceKey}|${line.variant}|${line.shipWeek}`;
const same = (a: LineContent, b: LineContent) =>
  a.firmUnits === b.firmUnits &&
  a.expectedUnits === b.expectedUnits &&
  a.lowUnits === b.lowUnits &&
  a.highUnits === b.highUnits &&
  a.shipWeek === b.shipWeek &&
  a.campaignTitle === b.campaignTitle;

/**
 * A commitment answers the same line in the next version when the line is the same one (kind, source,
 * variant, ship week) with the same firm units: the units it promised against, and whether it needed a
 * reason, are unchanged. Expected units drift with the clock and do not matter to it.
 */
export const commitmentCarries = (previous: LineContent, next: LineContent) => lineKey(previous) === lineKey(next) && previous.firmUnits === next.firmUnits;

/**
 * The lines of the next version: every current line with its change since the previous version, and
 * once, as zero, each line the previous version promised that is gone (a failed or cancelled campaign):
 * a factory must see a drop, not a silent disappearance. A line that is `done` (a completed campaign past
 * its ship date, a supply week that has ended) just leaves: its units were made and shipped, not lost,
 * and a drop to zero would tell the factory otherwise. `changed` is false when publishing would tell the
 * factory nothing new.
 */
export function nextVersionLines(
  current: readonly LineContent[],
  previous: readonly LineContent[],
  done: (line: LineContent) => boolean,
): { lines: NewLine[]; changed: boolean } {
  const before = new Map(previous.map((line) => [lineKey(line), line]));
  const lines: NewLine[] = current.map((line) => {
    const prior = before.get(lineKey(line));
    before.delete(lineKey(line));
    return {
      ...line,
      previousFirmUnits: prior?.firmUnits ?? null,
      previousExpectedUnits: prior?.expectedUnits ?? null,
      change: !prior ? 'new' : same(prior, line) ? 'unchanged' : 'changed',
    };
  });
  for (const gone of before.values()) {
    if (done(gone)) continue;
    if (gone.firmUnits === 0 && gone.expectedUnits === 0 && gone.highUnits === 0) continue;
    lines.push({
      ...gone,
      firmUnits: 0,
      expectedUnits: 0,
      lowUnits: 0,
      highUnits: 0,
      previousFirmUnits: gone.firmUnits,
      previousExpectedUnits: gone.expectedUnits,
      change: 'removed',
    });
  }
  lines.sort(
    (a, b) =>
      a.shipWeek.localeCompare(b.shipWeek) ||
      a.campaignTitle.localeCompare(b.campaignTitle) ||
      a.sourceKey.localeCompare(b.sourceKey) ||
      a.variant.localeCompare(b.variant),
  );
  return { lines, changed: lines.some((l) => l.change !== 'unchanged') };
}

/** A campaign line of a published version (kind 'campaign': its campaignId is never null). */
export interface ForecastedLine {
  version: number;
  publishedAt: Date;
  campaignId: string;
  campaignTitle: string;
  variant: string;
  expectedUnits: number;
}

export interface VersionAccuracy {
  version: number;
  publishedAt: Date;
  lines: number;
  /** Mean absolute percentage error over lines whose actual is above zero. Null when there is none. */
  mapePercent: number | null;
  /** (Σ expected − Σ actual) / Σ actual: above zero the forecast was too high. */
  biasPercent: number | null;
}

export interface CampaignAccuracy {
  campaignId: string;
  title: string;
  actualUnits: number;
  /** Units the factory committed to produce (its newest commitment on each of the campaign's lines); null if it committed none. */
  plannedUnits: number | null;
  /** Planned ÷ actual units (unitsRatio); null without a plan or with nothing paid. */
  plannedRatio: number | null;
  /** The campaign's expected units in each version that forecast it: how the forecast moved. */
  versions: { version: number; publishedAt: Date; expectedUnits: number }[];
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/** What actual units are keyed by: a campaign's variant (only campaign lines have actual units to compare). */
export const actualKey = (line: Pick<ForecastedLine, 'campaignId' | 'variant'>) => `${line.campaignId}|${line.variant}`;

/** A factory's commitment on a campaign line of a published version. */
export interface CommittedLine {
  version: number;
  campaignId: string;
  variant: string;
  quantity: number;
}

/** Units made ÷ units paid, to three decimals (1.019); null while nothing was paid. */
export const unitsRatio = (made: number, paid: number): number | null => (paid > 0 ? Math.round((1000 * made) / paid) / 1000 : null);

/** Produced-to-plan against paid, over the campaigns the factory committed to: the number that says whether the bullwhip is gone. */
export interface PlanAccuracy {
  campaigns: number;
  plannedUnits: number;
  paidUnits: number;
  /** Planned ÷ paid, to three decimals; null while nothing was paid. */
  ratio: number | null;
}

/** Units planned per campaign: for each of its variants the commitment on the newest version that has one (a later answer replaces an earlier plan). */
export function plannedUnits(commitments: readonly CommittedLine[]): Map<string, number> {
  const newest = new Map<string, CommittedLine>();
  for (const c of commitments) {
    const key = actualKey(c);
    if ((newest.get(key)?.version ?? -1) < c.version) newest.set(key, c);
  }
  const planned = new Map<string, number>();
  for (const c of newest.values()) planned.set(c.campaignId, (planned.get(c.campaignId) ?? 0) + c.quantity);
  return planned;
}

/**
 * Each version's forecast of completed campaigns, against what was actually paid for (per campaign ×
 * variant); and what the factory planned to produce (`planned`, by campaign) against what was paid.
 */
export function forecastAccuracy(
  lines: readonly ForecastedLine[],
  actual: ReadonlyMap<string, number>,
  planned: ReadonlyMap<string, number> = new Map(),
): { versions: VersionAccuracy[]; campaigns: CampaignAccuracy[]; plan: PlanAccuracy } {
  const byVersion = new Map<number, ForecastedLine[]>();
  const byCampaign = new Map<string, CampaignAccuracy>();
  for (const line of lines) {
    byVersion.set(line.version, [...(byVersion.get(line.version) ?? []), line]);
    const campaign = byCampaign.get(line.campaignId) ?? {
      campaignId: line.campaignId,
      title: line.campaignTitle,
      actualUnits: 0,
      plannedUnits: planned.get(line.campaignId) ?? null,
      plannedRatio: null,
      versions: [],
    };
    const version = campaign.versions.find((v) => v.version === line.version);
    if (version) version.expectedUnits += line.expectedUnits;
    else campaign.versions.push({ version: line.version, publishedAt: line.publishedAt, expectedUnits: line.expectedUnits });
    byCampaign.set(line.campaignId, campaign);
  }
  for (const [key, units] of actual) {
    const campaign = byCampaign.get(key.split('|')[0]);
    if (campaign) campaign.actualUnits += units;
  }
  const versions = [...byVersion.entries()]
    .sort(([a], [b]) => a - b)
    .map(([version, ls]): VersionAccuracy => {
      const pairs = ls.map((l) => ({ expected: l.expectedUnits, actual: actual.get(actualKey(l)) ?? 0 }));
      const scored = pairs.filter((p) => p.actual > 0);
      const totalActual = pairs.reduce((total, p) => total + p.actual, 0);
      const totalExpected = pairs.reduce((total, p) => total + p.expected, 0);
      return {
        version,
        publishedAt: ls[0].publishedAt,
        lines: ls.length,
        mapePercent:
          scored.length === 0 ? null : round1((100 * scored.reduce((total, p) => total + Math.abs(p.expected - p.actual) / p.actual, 0)) / scored.length),
        biasPercent: totalActual === 0 ? null : round1((100 * (totalExpected - totalActual)) / totalActual),
      };
    });
  for (const c of byCampaign.values()) {
    c.versions.sort((a, b) => a.version - b.version);
    c.plannedRatio = c.plannedUnits === null ? null : unitsRatio(c.plannedUnits, c.actualUnits);
  }
  const committed = [...byCampaign.values()].filter((c) => c.plannedUnits !== null);
  const plannedTotal = committed.reduce((total, c) => total + c.plannedUnits!, 0);
  const paidTotal = committed.reduce((total, c) => total + c.actualUnits, 0);
  return {
    versions,
    campaigns: [...byCampaign.values()],
    plan: {
      campaigns: committed.length,
      plannedUnits: plannedTotal,
      paidUnits: paidTotal,
      ratio: unitsRatio(plannedTotal, paidTotal),
    },
  };
}
