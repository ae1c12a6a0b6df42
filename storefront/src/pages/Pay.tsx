import { Loading } from '../components/ui';

export default function PayPage({ paymentId }: { paymentId: string }) {
  return <Loading key={paymentId} />;
}
