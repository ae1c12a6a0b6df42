import { Route } from 'react-router';
import { FruitPage } from './FruitPage';

/** The 水果 area's screens, relative to /console/fruit (mounted by ../ConsoleApp.tsx). */
export const fruitRoutes = (
  <>
    <Route index element={<FruitPage />} />
  </>
);
