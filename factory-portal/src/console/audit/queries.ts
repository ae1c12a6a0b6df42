import { keepPreviousData, useQuery } from '@tanstack/react-query';
import type { components } from '../../../../docs/openapi';
import type { Page } from '../../api/types';
import { useSignedIn } from '../../auth/AuthProvider';

export type AuditEntry = components['schemas']['AuditEntry'];

/** What the operator filters the log by (each optional), as GET /v1/audit-log takes it. */
export interface AuditFilter {
  actor?: string;
  action?: string;
  subjectId?: string;
  /** ISO instants. */
  from?: string;
  to?: string;
}

/** The filter as the query string of GET /v1/audit-log (without limit/offset). */
export function auditQuery(filter: AuditFilter): URLSearchParams {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(filter)) if (value) params.set(key, value);
  return params;
}

export function useAuditLog(filter: AuditFilter, offset: number) {
  const { api, session } = useSignedIn();
  const params = auditQuery(filter);
  params.set('limit', '50');
  params.set('offset', String(offset));
  return useQuery({
    queryKey: [session.user.id, 'audit-log', filter, offset],
    queryFn: () => api.get<Page<AuditEntry>>(`/v1/audit-log?${params.toString()}`),
    // The operator reads the log to see what just happened: no half-minute-old copy.
    staleTime: 0,
    placeholderData: keepPreviousData,
  });
}
