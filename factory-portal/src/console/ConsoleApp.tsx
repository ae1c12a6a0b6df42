import i18n from 'i18next';
import { Route, Routes } from 'react-router';
import { NotFound } from '../pages/NotFound';
import { homeRoutes } from './home/routes';
import { campaignsRoutes } from './campaigns/routes';
import { factoriesRoutes } from './factories/routes';
import { moneyRoutes } from './money/routes';
import { jobsRoutes } from './jobs/routes';
import { fruitRoutes } from './fruit/routes';
import { auditRoutes } from './audit/routes';
import { ConsoleLayout } from './ConsoleLayout';
import './console.css';
import { consoleEn, consoleZh } from './i18n';

// The console's words arrive with its code (src/i18n/zh.ts explains why they are not in the main bundle).
i18n.addResourceBundle('zh', 'translation', { console: consoleZh }, true, true);
i18n.addResourceBundle('en', 'translation', { console: consoleEn }, true, true);

/**
 * The operator console's screens, at /console/* of the portal app, each area's from its own folder
 * (docs/operator-console.md). Loaded lazily by App.tsx, and only for an operator.
 */
export default function ConsoleApp() {
  return (
    <Routes>
      <Route element={<ConsoleLayout />}>
        {homeRoutes}
        <Route path="campaigns">{campaignsRoutes}</Route>
        <Route path="factories">{factoriesRoutes}</Route>
        <Route path="money">{moneyRoutes}</Route>
        <Route path="jobs">{jobsRoutes}</Route>
        <Route path="fruit">{fruitRoutes}</Route>
        <Route path="audit">{auditRoutes}</Route>
        <Route path="*" element={<NotFound />} />
      </Route>
    </Routes>
  );
}
