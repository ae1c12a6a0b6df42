import { Route } from 'react-router';
import { CampaignDetail } from './CampaignDetail';
import { EditCampaign, NewCampaign } from './CampaignEditor';
import { CampaignList } from './CampaignList';

/** The 活动 area's screens, relative to /console/campaigns (mounted by ../ConsoleApp.tsx). */
export const campaignsRoutes = (
  <>
    <Route index element={<CampaignList />} />
    <Route path="new" element={<NewCampaign />} />
    <Route path=":id" element={<CampaignDetail />} />
    <Route path=":id/edit" element={<EditCampaign />} />
  </>
);
