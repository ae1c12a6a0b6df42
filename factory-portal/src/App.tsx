import { Navigate, Route, Routes, useLocation } from 'react-router';
import { useAuth } from './auth/AuthProvider';
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

/** Every screen but sign-in needs a session; without one (or once it has ended) the user is sent to sign in. */
function RequireSession() {
  const { session } = useAuth();
  const location = useLocation();
  if (!session) return <Navigate to="/sign-in" replace state={{ from: location.pathname }} />;
  return <Layout />;
}

export function App() {
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
