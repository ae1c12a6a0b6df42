import { Loading } from '../components/ui';

export default function PlansPage() {
  return <Loading />;
}
