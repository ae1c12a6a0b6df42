import { Loading } from '../components/ui';

export default function SubscribePage({ planId }: { planId: string }) {
  return <Loading key={planId} />;
}
