import { Route } from 'react-router';
import { JobsPage } from './JobsPage';

/** The 任务 area's screens, relative to /console/jobs (mounted by ../ConsoleApp.tsx). */
export const jobsRoutes = (
  <>
    <Route index element={<JobsPage />} />
  </>
);
