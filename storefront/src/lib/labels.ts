import type { Campaign, CampaignOption, Fruit, Plan } from '../api/types';
import type { Language } from '../i18n';

/** An option's name as the buyer reads it ("颜色"), or its key where the service sends no label. */
export function optionLabel(option: CampaignOption, language: Language): string {
  return option.label?.[language] || option.name;
}

export function valueLabel(option: CampaignOption | undefined, value: string, language: Language): string {
  return option?.valueLabels?.[value]?.[language] || value;
}

/** "黑色 · M" for a pledge's variant. */
export function variantText(campaign: Campaign | undefined, variant: Record<string, string>, language: Language): string {
  return Object.entries(variant)
    .map(([name, value]) =>
      valueLabel(
        campaign?.options.find((o) => o.name === name),
        value,
        language,
      ),
    )
    .join(' · ');
}

export function planName(plan: Plan, language: Language): string {
  return language === 'zh' ? plan.nameZh : plan.nameEn;
}

/** Picture-free icons for the fruit of the catalogue; a generic one for a fruit added later. */
const EMOJI: Record<string, string> = {
  apple: '🍎',
  apricot: '🍑',
  avocado: '🥑',
  banana: '🍌',
  blueberry: '🫐',
  cherry: '🍒',
  'dragon-fruit': '🐉',
  'fragrant-pear': '🍐',
  grape: '🍇',
  jujube: '🟤',
  kiwi: '🥝',
  loquat: '🟡',
  lychee: '🔴',
  mandarin: '🍊',
  mango: '🥭',
  melon: '🍈',
  'navel-orange': '🍊',
  peach: '🍑',
  pear: '🍐',
  persimmon: '🟠',
  pineapple: '🍍',
  plum: '🟣',
  pomegranate: '🔴',
  pomelo: '🟢',
  strawberry: '🍓',
  watermelon: '🍉',
  lemon: '🍋',
  coconut: '🥥',
};

export function fruitEmoji(id: string): string {
  return EMOJI[id] ?? '🧺';
}

export function fruitName(fruits: Map<string, Fruit> | undefined, id: string, language: Language): string {
  const fruit = fruits?.get(id);
  if (!fruit) return id;
  return language === 'zh' ? fruit.nameZh : fruit.nameEn;
}
