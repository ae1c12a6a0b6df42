import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useSignedIn } from '../../auth/AuthProvider';
import type { components, paths } from '../../../../docs/openapi';
import type { Page } from '../../api/types';

type Json<P extends keyof paths, M extends 'get' | 'post'> = paths[P][M] extends { responses: { 200: { content: { 'application/json': infer T } } } }
  ? T
  : never;

/** What the money search answers: the records found by kind, and what the query was read as. */
export type Found = Json<'/v1/console/search', 'get'>;
/** One record as the money desk shows it: state, amounts, timeline, related records, journal entries. */
export type MoneyRecord = Json<'/v1/console/money/{kind}/{id}', 'get'>;
export type RecordKind = MoneyRecord['kind'];
export type LedgerBoard = Json<'/v1/console/ledger', 'get'>;
export type Refund = components['schemas']['Refund'];
export type RetryAnswer = Json<'/v1/refunds/{id}/retry', 'post'>;

export const RECORD_KINDS: readonly RecordKind[] = ['pledges', 'payments', 'refunds', 'subscriptions', 'boxes'];
export const PAGE_SIZE = 20;

/** Every key starts with the operator and the area: nothing cached here is served to anyone else. */
function useKey(...parts: unknown[]): unknown[] {
  return [useSignedIn().session.user.id, 'console', 'money', ...parts];
}

export function useMoneySearch(q: string) {
  const { api } = useSignedIn();
  return useQuery({
    queryKey: useKey('search', q),
    queryFn: () => api.get<Found>(`/v1/console/search?${new URLSearchParams({ q }).toString()}`),
    enabled: q.trim() !== '',
    staleTime: 0,
  });
}

export function useMoneyRecord(kind: RecordKind, id: string) {
  const { api } = useSignedIn();
  return useQuery({
    queryKey: useKey('record', kind, id),
    queryFn: () => api.get<MoneyRecord>(`/v1/console/money/${kind}/${encodeURIComponent(id)}`),
    staleTime: 0,
  });
}

/** Failed refunds and stuck ones (still not sent, or not finished by the provider, an hour after the decision). */
export function useRefundsToLookAt(offset: number) {
  const { api } = useSignedIn();
  return useQuery({
    queryKey: useKey('refunds', offset),
    queryFn: () => api.get<Page<Refund>>(`/v1/refunds?problem=attention&limit=${PAGE_SIZE}&offset=${offset}`),
    refetchInterval: 30_000,
    placeholderData: keepPreviousData,
  });
}

/** Runs every reconcile check on the server: asked when the page opens and when the operator asks again, not in the background. */
export function useLedgerBoard() {
  const { api } = useSignedIn();
  return useQuery({ queryKey: useKey('ledger'), queryFn: () => api.get<LedgerBoard>('/v1/console/ledger'), staleTime: 0, refetchOnWindowFocus: false });
}

/**
 * Sends a refund again, with its reason; `key` is the Idempotency-Key of this one decision (the same for a second
 * click, so the API answers it once). Afterwards the lists and records of the area are fetched again.
 */
export function useRetryRefund() {
  const { api } = useSignedIn();
  const queryClient = useQueryClient();
  const areaKey = useKey();
  return useMutation({
    mutationFn: (input: { refundId: string; reason: string; key: string }) =>
      api.post<RetryAnswer>(`/v1/refunds/${encodeURIComponent(input.refundId)}/retry`, { reason: input.reason }, { 'Idempotency-Key': input.key }),
    onSettled: () => void queryClient.invalidateQueries({ queryKey: areaKey }),
  });
}
