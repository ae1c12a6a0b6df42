import { createContext, useContext } from 'react';
import { zh } from './zh';

/**
 * A dozen lines of i18n instead of i18next (the portal's choice): the campaign page is opened from a chat
 * on a phone and has a 100 kB budget for its first load, and all it needs is a dictionary lookup with
 * {{name}} placeholders. Chinese is bundled (the default); English is a chunk loaded on the switch.
 */
export type Language = 'zh' | 'en';
export type Dictionary = typeof zh;

type Leaves<T, P extends string = ''> = {
  [K in keyof T & string]: T[K] extends string ? `${P}${K}` : Leaves<T[K], `${P}${K}.`>;
}[keyof T & string];
/** Every key of the dictionary, checked at compile time. */
export type Key = Leaves<Dictionary>;
export type Vars = Record<string, string | number>;
export type Translate = (key: Key, vars?: Vars) => string;

/** Shape of the English dictionary: the same keys, any words. */
export type Words<T> = { [K in keyof T]: T[K] extends string ? string : Words<T[K]> };

export function translator(dictionary: Words<Dictionary>): Translate {
  return (key, vars) => {
    let value: unknown = dictionary;
    for (const part of key.split('.')) value = (value as Record<string, unknown> | undefined)?.[part];
    const text = typeof value === 'string' ? value : key;
    return vars ? text.replace(/\{\{(\w+)\}\}/g, (_, name: string) => String(vars[name] ?? '')) : text;
  };
}

const LANGUAGE_KEY = 'c2m-store.language';

/** Chinese unless this browser chose English before. */
export function storedLanguage(): Language {
  try {
    return localStorage.getItem(LANGUAGE_KEY) === 'en' ? 'en' : 'zh';
  } catch {
    return 'zh';
  }
}

export function rememberLanguage(language: Language): void {
  try {
    localStorage.setItem(LANGUAGE_KEY, language);
  } catch {
    // Private mode: the choice lasts for this page only.
  }
  document.documentElement.lang = language === 'zh' ? 'zh-CN' : 'en';
}

export const chinese: Words<Dictionary> = zh;

export async function loadDictionary(language: Language): Promise<Words<Dictionary>> {
  return language === 'en' ? (await import('./en')).en : zh;
}

export interface I18n {
  language: Language;
  t: Translate;
  setLanguage(language: Language): void;
}

export const I18nContext = createContext<I18n | null>(null);

export function useI18n(): I18n {
  const i18n = useContext(I18nContext);
  if (!i18n) throw new Error('useI18n outside I18nContext');
  return i18n;
}
