import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useSignedIn } from '../auth/AuthProvider';
import { ApiError } from './client';
import type {
  Accuracy,
  Batch,
  BatchSummary,
  Campaign,
  CommitAnswer,
  CommitRowsRequest,
  CommitRowsResult,
  Concept,
  ConceptInput,
  Delivery,
  Factory,
  LiveForecast,
  MarkTally,
  Page,
  Payout,
  Statement,
  SubjectMarks,
  Webhook,
  WebhookTest,
} from './types';

/** Every key starts with the user: answers cached for one user are never served to another. */
function useKey(...parts: unknown[]): unknown[] {
  return [useSignedIn().session.user.id, ...parts];
}

function useGet<T>(path: string, ...key: unknown[]) {
  const { api } = useSignedIn();
  return useQuery({ queryKey: useKey(...key), queryFn: () => api.get<T>(path) });
}

export function useFactory() {
  const { session } = useSignedIn();
  return useGet<Factory>(`/v1/factories/${session.user.factoryId}`, 'factory');
}

export function useForecast() {
  return useGet<LiveForecast>('/v1/factory/forecast', 'forecast');
}

/** The factory's published campaigns (public data: tiers, options, progress), up to the API's page size. */
export function useCampaigns() {
  const { session } = useSignedIn();
  return useGet<Page<Campaign>>(`/v1/campaigns?factoryId=${session.user.factoryId}&limit=100`, 'campaigns');
}

export function useCampaign(id: string) {
  return useGet<Campaign>(`/v1/campaigns/${encodeURIComponent(id)}`, 'campaign', id);
}

export const PAGE_SIZE = 20;

export function useBatches(offset: number) {
  return useGet<Page<BatchSummary>>(`/v1/factory/forecast-batches?limit=${PAGE_SIZE}&offset=${offset}`, 'batches', offset);
}

export function useBatch(id: string) {
  return useGet<Batch>(`/v1/factory/forecast-batches/${encodeURIComponent(id)}`, 'batch', id);
}

export function useAccuracy() {
  return useGet<Accuracy>('/v1/factory/forecast-accuracy', 'accuracy');
}

export function useDeliveries(offset: number) {
  return useGet<Page<Delivery>>(`/v1/factory/webhook-deliveries?limit=${PAGE_SIZE}&offset=${offset}`, 'deliveries', offset);
}

export function useStatements(offset: number) {
  return useGet<Page<Statement>>(`/v1/statements?limit=${PAGE_SIZE}&offset=${offset}`, 'statements', offset);
}

export function usePayouts(offset: number) {
  return useGet<Page<Payout>>(`/v1/payouts?limit=${PAGE_SIZE}&offset=${offset}`, 'payouts', offset);
}

/** The factory's webhook, or null while it has none (the API answers 404 then). */
export function useWebhook() {
  const { api } = useSignedIn();
  return useQuery({
    queryKey: useKey('webhook'),
    queryFn: async () => {
      try {
        return await api.get<Webhook>('/v1/factory/webhook');
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) return null;
        throw error;
      }
    },
  });
}

/** After a change to a batch: its detail is the answer; the list's statuses and counts are fetched again. */
function useBatchChange<Input, Answer extends Batch = Batch>(batchId: string, send: (api: ReturnType<typeof useSignedIn>['api'], input: Input) => Promise<Answer>) {
  const { api } = useSignedIn();
  const queryClient = useQueryClient();
  const batchKey = useKey('batch', batchId);
  const listKey = useKey('batches');
  return useMutation({
    mutationFn: (input: Input) => send(api, input),
    onSuccess: (batch) => {
      queryClient.setQueryData(batchKey, batch);
      void queryClient.invalidateQueries({ queryKey: listKey });
    },
  });
}

export function useAcknowledge(batchId: string) {
  return useBatchChange<void>(batchId, (api) => api.post<Batch>(`/v1/factory/forecast-batches/${encodeURIComponent(batchId)}/acknowledge`));
}

/** "Commit all unchanged": the answer is the batch and how many lines it answered. */
export function useCommitUnchanged(batchId: string) {
  return useBatchChange<void, Batch & { linesCommitted: number }>(batchId, (api) =>
    api.post(`/v1/factory/forecast-batches/${encodeURIComponent(batchId)}/commit-unchanged`),
  );
}

export function useCommit(batchId: string) {
  return useBatchChange(batchId, (api, answer: CommitAnswer) => api.post<Batch>(`/v1/factory/forecast-batches/${encodeURIComponent(batchId)}/commit`, { lines: [answer] }));
}

/**
 * Commitments from the filled-in CSV: a preview changes nothing; a commit (all rows or none) puts the
 * batch it answers on screen and fetches the list's statuses and counts again.
 */
export function useCommitRows(batchId: string) {
  const { api } = useSignedIn();
  const queryClient = useQueryClient();
  const batchKey = useKey('batch', batchId);
  const listKey = useKey('batches');
  return useMutation({
    mutationFn: (request: CommitRowsRequest) => api.post<CommitRowsResult>(`/v1/factory/forecast-batches/${encodeURIComponent(batchId)}/commit-rows`, request),
    onSuccess: (result) => {
      if (result.preview) return;
      queryClient.setQueryData(batchKey, result.batch);
      void queryClient.invalidateQueries({ queryKey: listKey });
    },
  });
}

function useWebhookChange<Input>(send: (api: ReturnType<typeof useSignedIn>['api'], input: Input) => Promise<Webhook>) {
  const { api } = useSignedIn();
  const queryClient = useQueryClient();
  const key = useKey('webhook');
  return useMutation({
    mutationFn: (input: Input) => send(api, input),
    // The secret is shown once, from the mutation's own answer; the cache never keeps it.
    onSuccess: (webhook) => queryClient.setQueryData(key, { ...webhook, secret: undefined }),
  });
}

export function useSetWebhookUrl() {
  return useWebhookChange((api, url: string) => api.put<Webhook>('/v1/factory/webhook', { url }));
}

export function useRotateSecret() {
  return useWebhookChange<void>((api) => api.post<Webhook>('/v1/factory/webhook/rotate-secret'));
}

/** "Send test": a signed test event to the webhook now; the answer says what the receiver answered. Nothing is logged. */
export function useSendTest() {
  const { api } = useSignedIn();
  return useMutation({ mutationFn: () => api.post<WebhookTest>('/v1/factory/webhook/test') });
}

/** A push made by hand (redeliver an attempt's batch, or push a batch now): the answer is the new attempt; the log is fetched again. */
function usePushByHand<Input>(path: (input: Input) => string) {
  const { api } = useSignedIn();
  const queryClient = useQueryClient();
  const key = useKey('deliveries');
  return useMutation({
    mutationFn: (input: Input) => api.post<Delivery>(path(input)),
    onSettled: () => void queryClient.invalidateQueries({ queryKey: key }),
  });
}

export function useRedeliver() {
  return usePushByHand((deliveryId: string) => `/v1/factory/webhook-deliveries/${encodeURIComponent(deliveryId)}/redeliver`);
}

export function usePushBatch() {
  return usePushByHand((batchId: string) => `/v1/factory/forecast-batches/${encodeURIComponent(batchId)}/push`);
}

export function useConcepts(offset: number) {
  return useGet<Page<Concept>>(`/v1/factory/concepts?limit=${PAGE_SIZE}&offset=${offset}`, 'concepts', offset);
}

export function useConcept(id: string) {
  return useGet<Concept>(`/v1/factory/concepts/${encodeURIComponent(id)}`, 'concept', id);
}

/** Proposes a concept; the list is fetched again, the new concept's page is its answer. */
export function useProposeConcept() {
  const { api, session } = useSignedIn();
  const queryClient = useQueryClient();
  const listKey = useKey('concepts');
  return useMutation({
    mutationFn: (input: ConceptInput) => api.post<Concept>('/v1/factory/concepts', input),
    onSuccess: (concept) => {
      queryClient.setQueryData([session.user.id, 'concept', concept.id], concept);
      void queryClient.invalidateQueries({ queryKey: listKey });
    },
  });
}

/** 红黑榜: the factory's marked subjects (itself and its campaigns), and one subject's marks with their reasons. */
export function useMarkSubjects(offset: number) {
  return useGet<Page<MarkTally>>(`/v1/factory/marks?limit=${PAGE_SIZE}&offset=${offset}`, 'marks', offset);
}

export function useSubjectMarks(id: string, offset: number) {
  return useGet<SubjectMarks>(`/v1/factory/marks/${encodeURIComponent(id)}?limit=${PAGE_SIZE}&offset=${offset}`, 'marks', id, offset);
}

/** The factory's one public answer to a subject's marks; the subject's views are fetched again. */
export function useAnswerMarks(id: string) {
  const { api } = useSignedIn();
  const queryClient = useQueryClient();
  const key = useKey('marks');
  return useMutation({
    mutationFn: (answer: string) => api.post<MarkTally>(`/v1/factory/marks/${encodeURIComponent(id)}/answer`, { answer }),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: key }),
  });
}
