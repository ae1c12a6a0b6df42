import { useState } from 'react';
import { useSignedIn } from '../auth/AuthProvider';
import { ActionError } from './StateViews';

/** A CSV as the API makes it (UTF-8 with a byte-order mark, so Excel reads the Chinese names), saved under the name the server gives it. */
export function CsvDownload({ path, fallbackName, label }: { path: string; fallbackName: string; label: string }) {
  const { api } = useSignedIn();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const download = async () => {
    setBusy(true);
    setError(null);
    try {
      const { blob, filename } = await api.download(path, fallbackName);
      const url = URL.createObjectURL(blob);
      const link = document.createElement('a');
      link.href = url;
      link.download = filename;
      document.body.append(link);
      link.click();
      link.remove();
      // The download has read the blob once the click's task is done; the URL would otherwise hold it until the page closes.
      setTimeout(() => URL.revokeObjectURL(url), 0);
    } catch (cause) {
      setError(cause);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button type="button" disabled={busy} onClick={() => void download()}>
        {label}
      </button>
      {error !== null && <ActionError error={error} />}
    </>
  );
}
