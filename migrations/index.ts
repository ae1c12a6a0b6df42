import { Foundation1764000000000 } from './1764000000000-foundation';
import { CampaignsPledgesPaymentsLedger1764100000000 } from './1764100000000-campaigns-pledges-payments-ledger';
import { PledgeTallies1764200000000 } from './1764200000000-pledge-tallies';
import { Forecasts1764300000000 } from './1764300000000-forecasts';
import { FruitSubscriptions1764400000000 } from './1764400000000-fruit-subscriptions';
import { BoxPayments1764500000000 } from './1764500000000-box-payments';
import { FruitSupply1764600000000 } from './1764600000000-fruit-supply';
import { BoxContents1764700000000 } from './1764700000000-box-contents';
import { PledgerCounts1764800000000 } from './1764800000000-pledger-counts';
import { SubscriptionRhythmAndPause1764910000000 } from './1764910000000-subscription-rhythm-and-pause';
import { VariantKeys1764920000000 } from './1764920000000-variant-keys';
import { UnexpectedPayments1764940000000 } from './1764940000000-unexpected-payments';
import { Sessions1764950000000 } from './1764950000000-sessions';
import { PhoneSignIn1764960000000 } from './1764960000000-phone-sign-in';
import { CampaignImages1764970000000 } from './1764970000000-campaign-images';
import { ForecastLineKinds1765000000000 } from './1765000000000-forecast-line-kinds';
import { PaymentCheckouts1765100000000 } from './1765100000000-payment-checkouts';
import { StatementDifferences1765110000000 } from './1765110000000-statement-differences';
import { StatementSeen1765120000000 } from './1765120000000-statement-seen';
import { FactorySettlements1765210000000 } from './1765210000000-factory-settlements';
import { OrchardStatements1765220000000 } from './1765220000000-orchard-statements';
import { PaymentPayer1765300000000 } from './1765300000000-payment-payer';
import { ShopOwners1765400000000 } from './1765400000000-shop-owners';
import { Commissions1765500000000 } from './1765500000000-commissions';
import { ShopPayouts1765600000000 } from './1765600000000-shop-payouts';
import { ShopConsents1765700000000 } from './1765700000000-shop-consents';
import { ShopVisits1765800000000 } from './1765800000000-shop-visits';
import { Concepts1765900000000 } from './1765900000000-concepts';
import { Marks1766000000000 } from './1766000000000-marks';
import { CommitmentCarryOver1766150000000 } from './1766150000000-commitment-carry-over';
import { FactoryConsole1766240000000 } from './1766240000000-factory-console';
import { CampaignCancelReason1766250000000 } from './1766250000000-campaign-cancel-reason';
import { AuditLog1766269700000 } from './1766269700000-audit-log';
import { MoneySearch1766270000000 } from './1766270000000-money-search';
import { FigureIndexes1766279800000 } from './1766279800000-figure-indexes';
import { FruitShortfallShares1766300000000 } from './1766300000000-fruit-shortfall-shares';
import { FinishedJobsIndex1766400000000 } from './1766400000000-finished-jobs-index';
import { AttemptNumbersAndAuditParams1766500000000 } from './1766500000000-attempt-numbers-and-audit-params';
import { ExactKeys1766600000000 } from './1766600000000-exact-keys';
import { CampaignPublishedAt1766700000000 } from './1766700000000-campaign-published-at';
import { StatementEntriesPerFactory1766800000000 } from './1766800000000-statement-entries-per-factory';
import { MaskedDisplayNames1766900000000 } from './1766900000000-masked-display-names';

/** Every migration, in order. One set for MySQL and SQLite. */
export const migrations = [
  Foundation1764000000000,
  CampaignsPledgesPaymentsLedger1764100000000,
  PledgeTallies1764200000000,
  Forecasts1764300000000,
  FruitSubscriptions1764400000000,
  BoxPayments1764500000000,
  FruitSupply1764600000000,
  BoxContents1764700000000,
  PledgerCounts1764800000000,
  SubscriptionRhythmAndPause1764910000000,
  VariantKeys1764920000000,
  UnexpectedPayments1764940000000,
  Sessions1764950000000,
  PhoneSignIn1764960000000,
  CampaignImages1764970000000,
  ForecastLineKinds1765000000000,
  PaymentCheckouts1765100000000,
  StatementDifferences1765110000000,
  StatementSeen1765120000000,
  FactorySettlements1765210000000,
  OrchardStatements1765220000000,
  PaymentPayer1765300000000,
  ShopOwners1765400000000,
  Commissions1765500000000,
  ShopPayouts1765600000000,
  ShopConsents1765700000000,
  ShopVisits1765800000000,
  Concepts1765900000000,
  Marks1766000000000,
  CommitmentCarryOver1766150000000,
  FactoryConsole1766240000000,
  CampaignCancelReason1766250000000,
  AuditLog1766269700000,
  MoneySearch1766270000000,
  FigureIndexes1766279800000,
  FruitShortfallShares1766300000000,
  FinishedJobsIndex1766400000000,
  AttemptNumbersAndAuditParams1766500000000,
  ExactKeys1766600000000,
  CampaignPublishedAt1766700000000,
  StatementEntriesPerFactory1766800000000,
  MaskedDisplayNames1766900000000,
];
