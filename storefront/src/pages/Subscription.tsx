import { Loading } from '../components/ui';

export default function SubscriptionPage({ id }: { id: string }) {
  return <Loading key={id} />;
}
