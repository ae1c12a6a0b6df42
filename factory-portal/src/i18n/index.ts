import i18n from 'i18next';
import { initReactI18next, useTranslation } from 'react-i18next';
import type { Language } from '../lib/format';
import { en } from './en';
import { zh } from './zh';

declare module 'i18next' {
  // Keys are checked at compile time against the Chinese text, and en.ts must have every one of them.
  interface CustomTypeOptions {
    resources: { translation: typeof zh };
  }
}

const KEY = 'c2m-portal.language';

function apply(language: Language): void {
  localStorage.setItem(KEY, language);
  document.documentElement.lang = language === 'zh' ? 'zh-CN' : 'en';
  document.title = i18n.t('app.documentTitle');
}

/** Chinese by default: factory staff are in China. A choice of English is remembered on this browser. */
export function setUpI18n(): void {
  const language: Language = localStorage.getItem(KEY) === 'en' ? 'en' : 'zh';
  void i18n.use(initReactI18next).init({
    resources: { zh: { translation: zh }, en: { translation: en } },
    lng: language,
    fallbackLng: 'zh',
    // React escapes what it renders.
    interpolation: { escapeValue: false },
  });
  apply(language);
  i18n.on('languageChanged', (lng) => apply(lng === 'en' ? 'en' : 'zh'));
}

/** The current language, for the number and date formatters. */
export function useLanguage(): Language {
  const { i18n: instance } = useTranslation();
  return instance.language === 'en' ? 'en' : 'zh';
}
