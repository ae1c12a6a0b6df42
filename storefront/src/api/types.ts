/** The shapes of the /v1 answers the storefront reads (see docs/openapi.yaml). */
export type Money = string;
export interface Label {
  zh: string;
  en: string;
}

export interface CampaignOption {
  name: string;
  values: string[];
  /** Display labels (from the storefront API change); older services send only keys. */
  label?: Label;
  valueLabels?: Record<string, Label>;
}

export interface Tier {
  minUnits: number;
  unitPrice: Money;
}

export interface Campaign {
  id: string;
  title: string;
  productName: string;
  description: string | null;
  imageUrl?: string | null;
  options: CampaignOption[];
  referencePrice: Money;
  depositPerUnit: Money;
  tiers: Tier[];
  maxUnits: number | null;
  perConsumerLimit: number | null;
  opensAt: string;
  closesAt: string;
  balanceWindowHours: number;
  expectedShipDate: string | null;
  status: 'draft' | 'scheduled' | 'open' | 'succeeded' | 'failed' | 'cancelled' | 'completed';
  finalUnitPrice: Money | null;
  balanceDueAt: string | null;
  progress: {
    paidUnits: number;
    reservedUnits: number;
    pledgers: number;
    currentTier: Tier | null;
    nextTier: (Tier & { unitsNeeded: number }) | null;
    thresholdReached: boolean;
    remainingUnits: number | null;
    secondsLeft: number;
  };
}

export interface Quote {
  quantity: number;
  deposit: Money;
  depositCredit: Money;
  unitPriceNow: Money | null;
  priceNow: Money | null;
  balanceNow: Money | null;
  lowestUnitPrice: Money;
  balanceAtLowest: Money;
  referencePrice: Money;
  refundIfNotReached: Money;
  balanceWindowHours: number;
  tiers: { minUnits: number; unitPrice: Money; price: Money; balance: Money }[];
}

export interface Payment {
  id: string;
  kind: 'deposit' | 'balance' | 'box' | string;
  pledgeId: string | null;
  amount: Money;
  currency: string;
  status: 'pending' | 'succeeded' | 'failed' | 'refunded' | string;
  createdAt: string;
  settledAt: string | null;
  checkoutUrl?: string | null;
}

export type PledgeStatus = 'awaiting_deposit' | 'active' | 'awaiting_balance' | 'paid' | 'expired' | 'cancelled' | 'refunded' | 'forfeited';

export interface Pledge {
  id: string;
  campaignId: string;
  variant: Record<string, string>;
  quantity: number;
  status: PledgeStatus;
  depositPerUnit: Money;
  deposit: Money;
  unitPrice: Money | null;
  creditedPerUnit: Money | null;
  balance: Money | null;
  depositDueAt: string;
  balanceDueAt: string | null;
  createdAt: string;
  updatedAt: string;
  payments: Payment[];
  depositPayment?: Payment;
  balancePayment?: Payment;
}

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

export interface User {
  id: string;
  email: string | null;
  phone?: string | null;
  role: string;
  displayName: string;
}
export interface LoginResponse {
  token: string;
  expiresAt: string;
  user: User;
  newAccount?: boolean;
}

export interface Plan {
  id: string;
  nameZh: string;
  nameEn: string;
  period: 'weekly' | 'fortnightly';
  periodDays: number;
  maxHousehold: number;
  portionsPerPersonPerDay: number;
  price: Money;
}
export interface Fruit {
  id: string;
  nameZh: string;
  nameEn: string;
  unit: 'piece' | 'kg';
  ripeningDays: [number, number];
  readyToEat: boolean;
  goodDays: number;
  active: boolean;
}

export interface Subscription {
  id: string;
  planId: string;
  startDate: string;
  firstDeliveryDate: string;
  deliveryWeekday: number;
  region: string;
  householdSize: number;
  exclusions: string[];
  status: 'active' | 'paused' | 'cancelled' | string;
  pausedFrom: string | null;
  pausedUntil: string | null;
  nextDeliveryDate: string | null;
  cancelledAt: string | null;
}

export interface BoxItem {
  fruitId: string;
  units: number;
  portions: number;
  edibleFrom: string;
  edibleUntil: string;
  ripensFaster?: boolean;
}
export interface ReadyDay {
  date: string;
  neededPortions: number;
  plannedPortions: number;
  fruits: { fruitId: string; portions: number }[];
  extraPortions?: number;
  extras?: { fruitId: string; portions: number }[];
}
export interface UncoveredDay {
  date: string;
  missingPortions: number;
  reason: 'nothing_ready' | 'budget' | 'supply' | string;
}
export interface Delivery {
  deliveryDate: string;
  shipDate: string;
  cutoffAt: string;
  status: string;
  box: { items: BoxItem[]; price: Money; readyToEat: ReadyDay[]; uncoveredDays: UncoveredDay[] } | null;
}
export interface Schedule {
  subscription: Subscription;
  plan: Plan;
  deliveries: Delivery[];
}

export interface Notification {
  id: string;
  kind: string;
  campaignId: string | null;
  pledgeId: string | null;
  message: string;
  data?: Record<string, unknown>;
  createdAt: string;
}

export interface PhoneCodeAnswer {
  phone: string;
  expiresInSeconds: number;
  resendAfterSeconds: number;
  sandboxCode?: string;
}
export interface WechatConfig {
  enabled: boolean;
  appId?: string;
  timestamp?: number;
  nonceStr?: string;
  signature?: string;
}
