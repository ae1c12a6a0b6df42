import { Route } from 'react-router';
import { FactoriesPage } from './FactoriesPage';

/** The 工厂与果园 area's screens, relative to /console/factories (mounted by ../ConsoleApp.tsx). */
export const factoriesRoutes = (
  <>
    <Route index element={<FactoriesPage />} />
  </>
);
