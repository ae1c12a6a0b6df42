import { Route } from 'react-router';
import { MoneyPage } from './MoneyPage';

/** The 资金 area's screens, relative to /console/money (mounted by ../ConsoleApp.tsx). */
export const moneyRoutes = (
  <>
    <Route index element={<MoneyPage />} />
  </>
);
