import { Route } from 'react-router';
import { LedgerPage } from './LedgerPage';
import { MoneyPage } from './MoneyPage';
import { RecordPage } from './RecordPage';

/** The 资金 area's screens, relative to /console/money (mounted by ../ConsoleApp.tsx). */
export const moneyRoutes = (
  <>
    <Route index element={<MoneyPage />} />
    <Route path="ledger" element={<LedgerPage />} />
    <Route path=":kind/:id" element={<RecordPage />} />
  </>
);
