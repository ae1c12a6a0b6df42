import { useTranslation } from 'react-i18next';
import type { BatchStatus, CampaignStatus, LineChange, PayoutStatus } from '../api/types';

// Every badge says its state in words: colour only repeats it.

export function BatchStatusBadge({ status }: { status: BatchStatus }) {
  const { t } = useTranslation();
  return <span className={`badge badge-batch-${status}`} data-testid="batch-status">{t(`batchStatus.${status}`)}</span>;
}

export function CampaignStatusBadge({ status }: { status: CampaignStatus }) {
  const { t } = useTranslation();
  return <span className={`badge badge-campaign-${status}`}>{t(`campaignStatus.${status}`)}</span>;
}

export function ChangeBadge({ change }: { change: LineChange }) {
  const { t } = useTranslation();
  return <span className={`badge badge-change-${change}`}>{t(`change.${change}`)}</span>;
}

export function PayoutStatusBadge({ status }: { status: PayoutStatus }) {
  const { t } = useTranslation();
  return <span className={`badge badge-payout-${status}`} data-testid="payout-status">{t(`payoutStatus.${status}`)}</span>;
}
