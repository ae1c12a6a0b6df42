import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useSignedIn } from '../../auth/AuthProvider';
import type { Page } from '../../api/types';
import type { components } from '../../../../docs/openapi';

type Schemas = components['schemas'];
export type JobSummary = Schemas['JobSummary'];
export type NameSummary = JobSummary['names'][number];
export type Job = Schemas['Job'];
export type JobState = Job['state'];

export const JOB_STATES: readonly JobState[] = ['due', 'scheduled', 'running', 'failed', 'given_up', 'cancelled', 'completed'];
export const PAGE_SIZE = 20;

/** Every key starts with the operator and the area: nothing cached here is served to anyone else. */
function useKey(...parts: unknown[]): unknown[] {
  return [useSignedIn().session.user.id, 'console-jobs', ...parts];
}

/** Jobs run while the operator reads: the counts and the list are asked again every ten seconds. */
export function useJobSummary() {
  const { api } = useSignedIn();
  return useQuery({ queryKey: useKey('summary'), queryFn: () => api.get<JobSummary>('/v1/jobs/summary'), staleTime: 0, refetchInterval: 10_000 });
}

export function useJobs(filter: { name: string; state: JobState | '' }, offset: number) {
  const { api } = useSignedIn();
  const query = new URLSearchParams({ limit: String(PAGE_SIZE), offset: String(offset) });
  if (filter.name) query.set('name', filter.name);
  if (filter.state) query.set('state', filter.state);
  return useQuery({
    queryKey: useKey('list', filter.name, filter.state, offset),
    queryFn: () => api.get<Page<Job>>(`/v1/jobs?${query.toString()}`),
    staleTime: 0,
    refetchInterval: 10_000,
  });
}

/** Retry or cancel one job, with the operator's reason (the audit log keeps it); then the counts and lists are asked again. */
export function useJobAction() {
  const { api } = useSignedIn();
  const queryClient = useQueryClient();
  const areaKey = useKey();
  return useMutation({
    mutationFn: ({ id, action, reason }: { id: string; action: 'retry' | 'cancel'; reason: string }) =>
      api.post<Job>(`/v1/jobs/${encodeURIComponent(id)}/${action}`, reason.trim() ? { reason: reason.trim() } : {}),
    onSettled: () => void queryClient.invalidateQueries({ queryKey: areaKey }),
  });
}
