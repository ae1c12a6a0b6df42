import { Route } from 'react-router';
import { HomePage } from './HomePage';

/** The 概览 area's screens, relative to /console (mounted by ../ConsoleApp.tsx). */
export const homeRoutes = (
  <>
    <Route index element={<HomePage />} />
  </>
);
