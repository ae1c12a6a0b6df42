import { useQuery } from '@tanstack/react-query';
import type { components } from '../../../../docs/openapi';
import { useSignedIn } from '../../auth/AuthProvider';

export type ConsoleSummary = components['schemas']['ConsoleSummary'];

/** The business figures (GET /v1/console/summary), asked again every 15 seconds while the front page is open. */
export function useConsoleSummary() {
  const { api, session } = useSignedIn();
  return useQuery({
    queryKey: [session.user.id, 'console-summary'],
    queryFn: () => api.get<ConsoleSummary>('/v1/console/summary'),
    staleTime: 0,
    refetchInterval: 15_000,
  });
}
