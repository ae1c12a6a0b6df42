import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useSignedIn } from '../../auth/AuthProvider';
import type { components, paths } from '../../../../docs/openapi';
import type { Page } from '../../api/types';

type Schemas = components['schemas'];
/** A campaign as an operator reads it: the public document, a draft's warnings, a cancel's reason. */
export type OperatorCampaign = Schemas['CampaignForOperators'];
export type CampaignWithWarnings = Schemas['CampaignWithWarnings'];
export type CampaignWarning = Schemas['CampaignWarning'];
export type CampaignPreview = Schemas['CampaignPreview'];
/** What the editor sends: the create body (POST /v1/campaigns, POST /v1/campaigns/preview). */
export type CampaignInput = Schemas['CampaignInput'];
export type CampaignStatus = OperatorCampaign['status'];
type FactoryPage = paths['/v1/factories']['get']['responses'][200]['content']['application/json'];

/** How often the list and a campaign's page ask again: progress is live. */
export const REFRESH_MS = 5000;
export const PAGE_SIZE = 20;

function useKey(...parts: unknown[]): unknown[] {
  return [useSignedIn().session.user.id, 'console', 'campaigns', ...parts];
}

export function useCampaignList(filter: { status: CampaignStatus | ''; q: string; offset: number }) {
  const { api } = useSignedIn();
  const params = new URLSearchParams({ limit: String(PAGE_SIZE), offset: String(filter.offset) });
  if (filter.status) params.set('status', filter.status);
  if (filter.q.trim()) params.set('q', filter.q.trim());
  return useQuery({
    queryKey: useKey('list', filter.status, filter.q.trim(), filter.offset),
    queryFn: () => api.get<Page<OperatorCampaign>>(`/v1/campaigns?${params.toString()}`),
    refetchInterval: REFRESH_MS,
    placeholderData: keepPreviousData,
  });
}

export function useCampaign(id: string) {
  const { api } = useSignedIn();
  return useQuery({
    queryKey: useKey('one', id),
    queryFn: () => api.get<OperatorCampaign>(`/v1/campaigns/${encodeURIComponent(id)}`),
    refetchInterval: REFRESH_MS,
  });
}

/** Factories to choose from (names by id), up to the API's page size. */
export function useFactories() {
  const { api } = useSignedIn();
  return useQuery({ queryKey: useKey('factories'), queryFn: () => api.get<FactoryPage>('/v1/factories?limit=100'), staleTime: 60_000 });
}

/**
 * The server's preview of the form as it stands (POST /v1/campaigns/preview): what consumers will see and the
 * warnings, or the fields the API refuses. Asked again when the body changes (the caller debounces it).
 */
export function usePreview(body: CampaignInput | undefined) {
  const { api } = useSignedIn();
  return useQuery({
    queryKey: useKey('preview', body),
    queryFn: () => api.post<CampaignPreview>('/v1/campaigns/preview', body),
    enabled: body !== undefined,
    placeholderData: keepPreviousData,
    retry: false,
  });
}

function useInvalidate() {
  const client = useQueryClient();
  const key = useKey();
  return () => client.invalidateQueries({ queryKey: key });
}

export function useCreateCampaign() {
  const { api } = useSignedIn();
  const invalidate = useInvalidate();
  return useMutation({ mutationFn: (body: CampaignInput) => api.post<CampaignWithWarnings>('/v1/campaigns', body), onSuccess: invalidate });
}

/** The whole form as an edit: every field given, the optional ones left empty cleared (null). */
export type CampaignEdit = NonNullable<paths['/v1/campaigns/{id}']['patch']['requestBody']>['content']['application/json'];

export function useUpdateCampaign(id: string) {
  const { api } = useSignedIn();
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (body: CampaignEdit) => api.patch<CampaignWithWarnings>(`/v1/campaigns/${encodeURIComponent(id)}`, body),
    onSuccess: invalidate,
  });
}

/** Publish, close now, cancel (with its reason and an Idempotency-Key, as the API asks of a cancel). */
export function useCampaignAction(id: string) {
  const { api } = useSignedIn();
  const invalidate = useInvalidate();
  const path = `/v1/campaigns/${encodeURIComponent(id)}`;
  return useMutation({
    mutationFn: (action: { kind: 'publish' } | { kind: 'close' } | { kind: 'cancel'; reason: string; key: string }) =>
      action.kind === 'cancel'
        ? api.post<OperatorCampaign>(`${path}/cancel`, { reason: action.reason }, { 'Idempotency-Key': action.key })
        : api.post<OperatorCampaign>(`${path}/${action.kind}`),
    onSuccess: invalidate,
  });
}
