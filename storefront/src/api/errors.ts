import type { Key, Translate } from '../i18n';
import { ApiError, NETWORK_ERROR } from './client';

/** Problem codes the buyer can meet, each with its own words; anything else falls back by HTTP status. */
const CODES: Record<string, Key> = {
  [NETWORK_ERROR]: 'errors.network',
  validation_failed: 'errors.validation_failed',
  invalid_credentials: 'errors.invalid_credentials',
  email_taken: 'errors.email_taken',
  too_many_login_attempts: 'errors.too_many',
  too_many_registrations: 'errors.too_many',
  too_many_pledges: 'errors.too_many',
  sms_rate_limited: 'errors.sms_rate_limited',
  code_invalid: 'errors.code_invalid',
  sms_unavailable: 'errors.sms_unavailable',
  password_not_set: 'errors.password_not_set',
  route_not_found: 'errors.unavailable',
  campaign_not_open: 'errors.campaign_not_open',
  campaign_sold_out: 'errors.campaign_sold_out',
  campaign_window_passed: 'errors.campaign_not_open',
  campaign_final: 'errors.campaign_not_open',
  per_consumer_limit: 'errors.per_consumer_limit',
  invalid_variant: 'errors.invalid_variant',
  pledge_not_cancellable: 'errors.pledge_not_cancellable',
  pledge_not_awaiting_balance: 'errors.pledge_not_awaiting_balance',
  balance_overdue: 'errors.balance_overdue',
  past_cutoff: 'errors.past_cutoff',
  subscription_cancelled: 'errors.subscription_cancelled',
  subscription_unfillable: 'errors.subscription_unfillable',
  idempotency_request_in_flight: 'errors.in_flight',
  unauthenticated: 'errors.unauthenticated',
  forbidden: 'errors.forbidden',
  not_found: 'errors.not_found',
  server_busy: 'errors.server',
  database_unavailable: 'errors.server',
  checkout_unavailable: 'errors.checkout_unavailable',
  payment_not_pending: 'errors.payment_not_pending',
  payment_not_payable: 'errors.payment_not_payable',
  payment_provider_error: 'errors.payment_provider_error',
  payment_provider_timeout: 'errors.payment_provider_timeout',
  checkout_not_offered: 'errors.checkout_not_offered',
  shop_application_open: 'errors.shop_application_open',
  too_many_shop_applications: 'errors.too_many',
  not_a_shop_owner: 'shopCenter.notOwner',
  concept_trial_not_open: 'errors.concept_trial_not_open',
  concept_trial_closed: 'errors.concept_trial_closed',
  concept_trial_applied: 'errors.concept_trial_applied',
  not_picked_for_trial: 'errors.not_picked_for_trial',
};

/** What to tell the buyer about a failure, in their language: the API's English detail never reaches them. */
export function errorText(error: unknown, t: Translate): string {
  if (!(error instanceof ApiError)) return t('errors.unexpected');
  const key = CODES[error.code];
  if (key) return t(key, { seconds: error.retryAfterSeconds ?? 60 });
  if (error.status === 429) return t('errors.too_many');
  if (error.status === 404) return t('errors.not_found');
  if (error.status >= 500) return t('errors.server');
  return t('errors.unexpected');
}
