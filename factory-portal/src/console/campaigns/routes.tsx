import { Route } from 'react-router';
import { CampaignsPage } from './CampaignsPage';

/** The 活动 area's screens, relative to /console/campaigns (mounted by ../ConsoleApp.tsx). */
export const campaignsRoutes = (
  <>
    <Route index element={<CampaignsPage />} />
  </>
);
