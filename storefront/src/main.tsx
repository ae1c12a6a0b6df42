import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { loadDictionary, rememberLanguage, storedLanguage } from './i18n';
import { primeCache } from './lib/resource';
import './styles.css';

/**
 * What the server put in the page for its first paint (storefront server: `<script id="initial-data">`):
 * the campaign on /c/:id, the campaigns and plans on /. The page renders from it at once, without waiting
 * for the API, then refreshes from the API.
 */
function readInitialData(): void {
  const element = document.getElementById('initial-data');
  if (!element?.textContent) return;
  try {
    const data = JSON.parse(element.textContent) as { campaign?: { id: string }; campaigns?: unknown[]; plans?: unknown[] };
    if (data.campaign?.id) primeCache(`/v1/campaigns/${data.campaign.id}`, data.campaign);
    if (Array.isArray(data.campaigns))
      primeCache(
        'home:campaigns',
        (data.campaigns as { status: string }[]).filter((c) => c.status === 'open' || c.status === 'scheduled'),
      );
    if (Array.isArray(data.plans)) primeCache('home:plans', data.plans);
  } catch {
    // Unreadable: the pages load from the API instead.
  }
}

async function start(): Promise<void> {
  readInitialData();
  const language = storedLanguage();
  rememberLanguage(language);
  const dictionary = await loadDictionary(language);
  createRoot(document.getElementById('root')!).render(
    <StrictMode>
      <App initialLanguage={language} initialDictionary={dictionary} />
    </StrictMode>,
  );
}

void start();
