import { Route } from 'react-router';
import { FactoriesPage } from './FactoriesPage';
import { FactoryPage } from './FactoryPage';

/** The 工厂与果园 area's screens, relative to /console/factories (mounted by ../ConsoleApp.tsx). */
export const factoriesRoutes = (
  <>
    <Route index element={<FactoriesPage />} />
    <Route path=":id" element={<FactoryPage />} />
  </>
);
