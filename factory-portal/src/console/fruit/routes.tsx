import { Route } from 'react-router';
import { FruitEditor } from './FruitEditor';
import { FruitPage } from './FruitPage';

/** The 水果 area's screens, relative to /console/fruit (mounted by ../ConsoleApp.tsx). */
export const fruitRoutes = (
  <>
    <Route index element={<FruitPage tab="catalogue" />} />
    <Route path="ship-dates" element={<FruitPage tab="ship-dates" />} />
    <Route path=":id" element={<FruitEditor />} />
  </>
);
