import { Loading } from '../components/ui';

export default function PledgePage({ id }: { id: string }) {
  return <Loading key={id} />;
}
