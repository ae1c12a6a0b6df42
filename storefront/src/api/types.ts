/**
 * The shapes of the /v1 answers the storefront reads, named from the types generated from docs/openapi.yaml
 * (`npm run openapi` writes docs/openapi.d.ts): none is written here by hand.
 */
import type { components, paths } from '../../../docs/openapi';

type Schemas = components['schemas'];

export type Money = Schemas['Money'];
export type Label = Schemas['DisplayLabel'];
export type Campaign = Schemas['Campaign'];
export type CampaignOption = Campaign['options'][number];
export type Tier = Schemas['Tier'];
export type Quote = Schemas['Quote'];

export type Payment = Schemas['Payment'];
/** The payment providers and their checkouts, and what a checkout at one answers. */
export type PaymentProviders = paths['/v1/payments/providers']['get']['responses'][200]['content']['application/json'];
export type Checkout = paths['/v1/payments/{id}/checkout']['post']['responses'][200]['content']['application/json'];
export type PledgeStatus = Schemas['Pledge']['status'];
/** A pledge; as placed it carries its deposit payment, as asked to pay its balance its balance payment. */
export type Pledge = Schemas['Pledge'] & { depositPayment?: Payment; balancePayment?: Payment };

/** A product concept's sample trial as a shop owner sees it, with their application and rating (docs/selection.md). */
export type Trial = Schemas['ConceptTrial'];
export type TrialList = paths['/v1/concepts/trials']['get']['responses'][200]['content']['application/json'];

/** A page of a list: `{items, total, limit, offset}`. */
export type Page<T> = Omit<paths['/v1/me/pledges']['get']['responses'][200]['content']['application/json'], 'items'> & { items: T[] };

export type User = Schemas['User'];
/** Every sign-in's answer; a phone sign-in's also says whether it made the account. */
export type LoginResponse = Schemas['Session'] & { newAccount?: boolean };
export type PhoneCodeAnswer = Schemas['SmsCodeSent'];

export type Plan = Schemas['Plan'];
export type Fruit = Schemas['Fruit'];
export type Subscription = Schemas['Subscription'];
export type Delivery = Schemas['Delivery'];
type Box = NonNullable<Delivery['box']>;
export type BoxItem = Box['items'][number];
export type ReadyDay = Box['readyToEat'][number];
export type UncoveredDay = Box['uncoveredDays'][number];
export type Schedule = Schemas['Schedule'];

/** A buyer's consents to share their phone with shop owners, and a shop owner's orders (docs/shop-owners.md § Privacy). */
export type ShopConsent = Schemas['ShopConsent'];
export type ShopOrder = Schemas['ShopOrder'];

export type Notification = Schemas['Notification'];

export type ShopPage = Schemas['ShopPage'];
export type ShopBinding = Schemas['ShopBinding'];
export type ShopApplication = Schemas['ShopApplication'];
export type ShopDashboard = Schemas['ShopDashboard'];

/** 红黑榜: a subject on the lists with its counted marks, and a shop owner's own mark. */
export type MarkTally = Schemas['MarkTally'];
export type MyMark = Schemas['MyMark'];
export type MarkKind = MyMark['subject']['kind'];
export type MarkColor = MyMark['color'];
export type MyCommission = Schemas['MyCommission'];
export type WechatConfig = Schemas['WechatJsSdkConfig'];
