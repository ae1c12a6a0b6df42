import { Loading } from '../components/ui';

export default function MePage() {
  return <Loading />;
}
