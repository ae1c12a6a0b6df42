import { useTranslation } from 'react-i18next';
import { useLanguage } from '../i18n';

/** One button naming the other language in that language, as language pickers do. */
export function LanguageSwitch() {
  const { t, i18n } = useTranslation();
  const language = useLanguage();
  const other = language === 'zh' ? 'en' : 'zh';
  return (
    <button type="button" className="language-switch" lang={other === 'zh' ? 'zh-CN' : 'en'} aria-label={t('app.switchLanguage')} onClick={() => void i18n.changeLanguage(other)}>
      {other === 'zh' ? '中文' : 'English'}
    </button>
  );
}
