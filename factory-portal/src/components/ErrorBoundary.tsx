import { Component, type ReactNode } from 'react';
import { Translation } from 'react-i18next';

/** A rendering bug shows a message and a way out instead of a blank page. */
export class ErrorBoundary extends Component<{ children: ReactNode }, { error: Error | null }> {
  state: { error: Error | null } = { error: null };

  static getDerivedStateFromError(error: Error) {
    return { error };
  }

  render() {
    if (!this.state.error) return this.props.children;
    return (
      <Translation>
        {(t) => (
          <div className="state state-error" role="alert">
            <p>{t('common.unexpected', { message: this.state.error!.message })}</p>
            <button type="button" onClick={() => window.location.reload()}>
              {t('common.reload')}
            </button>
          </div>
        )}
      </Translation>
    );
  }
}
