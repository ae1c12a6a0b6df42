import { lazy, Suspense } from 'react';
import { Navigate, Route, Routes, useLocation } from 'react-router';
import { useAuth } from './auth/AuthProvider';
import { isOperator } from './auth/session';
import { Layout } from './components/Layout';
import { Accuracy } from './pages/Accuracy';
import { BatchDetail } from './pages/BatchDetail';
import { Batches } from './pages/Batches';
import { CampaignDetail } from './pages/CampaignDetail';
import { ConceptDetail } from './pages/ConceptDetail';
import { Concepts } from './pages/Concepts';
import { Deliveries } from './pages/Deliveries';
import { NotFound } from './pages/NotFound';
import { MarkSubject, Marks } from './pages/Marks';
import { Overview } from './pages/Overview';
import { Settlements } from './pages/Settlements';
import { SignIn } from './pages/SignIn';
import { Loading } from './components/StateViews';

/**
 * The operator console (docs/operator-console.md): its own chunk, fetched only when an operator is signed in,
 * so factory staff never download its code.
 */
const ConsoleApp = lazy(() => import('./console/ConsoleApp'));

/** Every screen but sign-in needs a session; without one (or once it has ended) the user is sent to sign in. */
function RequireSession() {
  const { session } = useAuth();
  const location = useLocation();
  if (!session) return <Navigate to="/sign-in" replace state={{ from: location.pathname }} />;
  return <Layout />;
}

/**
 * One sign-in for both: an operator is in the console (/console/*, every other address leads there, so an
 * operator never sees a factory's screens); a factory user has the factory's screens, and /console/* is
 * simply not found for them.
 */
export function App() {
  const { session } = useAuth();
  if (session && isOperator(session.user))
    return (
      <Routes>
        <Route path="/sign-in" element={<SignIn />} />
        <Route
          path="/console/*"
          element={
            <Suspense fallback={<Loading />}>
              <ConsoleApp />
            </Suspense>
          }
        />
        <Route path="*" element={<Navigate to="/console" replace />} />
      </Routes>
    );
  return (
    <Routes>
      <Route path="/sign-in" element={<SignIn />} />
      <Route element={<RequireSession />}>
        <Route index element={<Overview />} />
        <Route path="campaigns/:id" element={<CampaignDetail />} />
        <Route path="batches" element={<Batches />} />
        <Route path="batches/:id" element={<BatchDetail />} />
        <Route path="deliveries" element={<Deliveries />} />
        <Route path="accuracy" element={<Accuracy />} />
        <Route path="settlements" element={<Settlements />} />
        <Route path="concepts" element={<Concepts />} />
        <Route path="concepts/:id" element={<ConceptDetail />} />
        <Route path="marks" element={<Marks />} />
        <Route path="marks/:id" element={<MarkSubject />} />
        <Route path="*" element={<NotFound />} />
      </Route>
    </Routes>
  );
}
