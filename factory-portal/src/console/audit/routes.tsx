import { Route } from 'react-router';
import { AuditPage } from './AuditPage';

/** The 审计日志 area's screens, relative to /console/audit (mounted by ../ConsoleApp.tsx). */
export const auditRoutes = (
  <>
    <Route index element={<AuditPage />} />
  </>
);
