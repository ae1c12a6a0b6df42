import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useSignedIn } from '../../auth/AuthProvider';
import { ApiError } from '../../api/client';
import type { components } from '../../../../docs/openapi';
import type { Delivery, Factory, Page, User, Webhook, WebhookTest } from '../../api/types';

type Schemas = components['schemas'];
/** A factory as the console lists it: its users, keys not revoked, and its webhook's health. */
export type FactorySummary = Schemas['FactorySummary'];
export type FactoryKind = Factory['kind'];
export type ApiKey = Schemas['ApiKey'];
/** The answer that issues a key: the only one that shows its secret. */
export type IssuedApiKey = Schemas['ApiKey'] & { apiKey: string };

export const PAGE_SIZE = 20;

/** Every key starts with the operator and the area: nothing cached here is served to anyone else. */
function useKey(...parts: unknown[]): unknown[] {
  return [useSignedIn().session.user.id, 'console-factories', ...parts];
}

function useGet<T>(path: string, ...key: unknown[]) {
  const { api } = useSignedIn();
  return useQuery({ queryKey: useKey(...key), queryFn: () => api.get<T>(path) });
}

/**
 * Pushes go on while the operator reads (the worker retries, factories change their URLs): the webhooks' health and
 * the deliveries are asked again whenever a screen shows them, and every half minute while it does.
 */
function useLive<T>(path: string, ...key: unknown[]) {
  const { api } = useSignedIn();
  return useQuery({ queryKey: useKey(...key), queryFn: () => api.get<T>(path), staleTime: 0, refetchInterval: 30_000 });
}

const factoryPath = (id: string) => `/v1/factories/${encodeURIComponent(id)}`;

export function useFactorySummaries(offset: number) {
  return useLive<Page<FactorySummary>>(`/v1/factories?limit=${PAGE_SIZE}&offset=${offset}`, 'list', offset);
}

export function useFactory(id: string) {
  return useGet<Factory>(factoryPath(id), 'factory', id);
}

export function useFactoryUsers(id: string) {
  return useGet<{ items: User[] }>(`${factoryPath(id)}/users`, 'factory', id, 'users');
}

export function useApiKeys(id: string) {
  return useGet<{ items: ApiKey[] }>(`${factoryPath(id)}/api-keys`, 'factory', id, 'keys');
}

/** The factory's webhook, or null while it has none (the API answers 404 then). */
export function useFactoryWebhook(id: string) {
  const { api } = useSignedIn();
  return useQuery({
    queryKey: useKey('factory', id, 'webhook'),
    staleTime: 0,
    queryFn: async () => {
      try {
        return await api.get<Webhook>(`${factoryPath(id)}/webhook`);
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) return null;
        throw error;
      }
    },
  });
}

/** The factory's push attempts; `failing`: only the newest attempt of each batch that is failing. */
export function useFactoryDeliveries(id: string, offset: number, failing: boolean) {
  return useLive<Page<Delivery>>(
    `${factoryPath(id)}/webhook-deliveries?limit=${PAGE_SIZE}&offset=${offset}${failing ? '&status=failing' : ''}`,
    'factory',
    id,
    'deliveries',
    failing,
    offset,
  );
}

/** A change to one factory: afterwards everything the console shows of it, and the list, is fetched again. */
function useFactoryChange<Input, Answer>(factoryId: string | undefined, send: (api: ReturnType<typeof useSignedIn>['api'], input: Input) => Promise<Answer>) {
  const { api } = useSignedIn();
  const queryClient = useQueryClient();
  const areaKey = useKey();
  const factoryKey = useKey('factory', factoryId);
  const listKey = useKey('list');
  return useMutation({
    mutationFn: (input: Input) => send(api, input),
    onSettled: () => {
      void queryClient.invalidateQueries({ queryKey: factoryId === undefined ? areaKey : factoryKey });
      void queryClient.invalidateQueries({ queryKey: listKey });
    },
  });
}

export interface OnboardInput {
  name: string;
  kind: FactoryKind;
  contactEmail: string;
}

export function useOnboard() {
  return useFactoryChange(undefined, (api, input: OnboardInput) => api.post<Factory>('/v1/factories', input));
}

export interface NewUserInput {
  email: string;
  password: string;
  displayName?: string;
}

export function useAddUser(factoryId: string) {
  return useFactoryChange(factoryId, (api, input: NewUserInput) => api.post<User>(`${factoryPath(factoryId)}/users`, input));
}

/** Disable (with the reason the audit log keeps) or enable a portal user. */
export function useSetUserDisabled(factoryId: string) {
  return useFactoryChange(factoryId, (api, input: { userId: string; disabled: boolean; reason: string }) =>
    api.post<User>(`${factoryPath(factoryId)}/users/${encodeURIComponent(input.userId)}/${input.disabled ? 'disable' : 'enable'}`, {
      ...(input.reason ? { reason: input.reason } : {}),
    }),
  );
}

export function useIssueKey(factoryId: string) {
  return useFactoryChange(factoryId, (api, name: string) => api.post<IssuedApiKey>(`${factoryPath(factoryId)}/api-keys`, { name }));
}

export function useRevokeKey(factoryId: string) {
  return useFactoryChange(factoryId, (api, keyId: string) => api.delete(`${factoryPath(factoryId)}/api-keys/${encodeURIComponent(keyId)}`));
}

export function useSendTest(factoryId: string) {
  const { api } = useSignedIn();
  return useMutation({ mutationFn: () => api.post<WebhookTest>(`${factoryPath(factoryId)}/webhook/test`) });
}

export function useRedeliver(factoryId: string) {
  return useFactoryChange(factoryId, (api, deliveryId: string) =>
    api.post<Delivery>(`${factoryPath(factoryId)}/webhook-deliveries/${encodeURIComponent(deliveryId)}/redeliver`, {}),
  );
}
