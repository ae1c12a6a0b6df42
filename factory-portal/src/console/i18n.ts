import * as home from './home/i18n';
import * as campaigns from './campaigns/i18n';
import * as factories from './factories/i18n';
import * as money from './money/i18n';
import * as jobs from './jobs/i18n';
import * as fruit from './fruit/i18n';
import * as audit from './audit/i18n';

/**
 * The console's words: its frame's, and each area's own (./<area>/i18n.ts). src/i18n/zh.ts and en.ts mount
 * their type under `console`, so every key is checked at compile time; the words themselves are added to
 * i18next only when the console's chunk loads (ConsoleApp.tsx), so the factory portal's bundle never carries them.
 */
export const consoleZh = {
  frame: {
    title: '运营控制台',
    documentTitle: '运营控制台 · C2M',
    navLabel: '控制台导航',
    home: '概览',
    campaigns: '活动',
    factories: '工厂与果园',
    money: '资金',
    jobs: '任务',
    fruit: '水果',
    audit: '审计日志',
  },
  home: home.zh,
  campaigns: campaigns.zh,
  factories: factories.zh,
  money: money.zh,
  jobs: jobs.zh,
  fruit: fruit.zh,
  audit: audit.zh,
};

export const consoleEn: typeof consoleZh = {
  frame: {
    title: 'Operator console',
    documentTitle: 'Operator console · C2M',
    navLabel: 'Console',
    home: 'Overview',
    campaigns: 'Campaigns',
    factories: 'Factories & orchards',
    money: 'Money',
    jobs: 'Jobs',
    fruit: 'Fruit',
    audit: 'Audit log',
  },
  home: home.en,
  campaigns: campaigns.en,
  factories: factories.en,
  money: money.en,
  jobs: jobs.en,
  fruit: fruit.en,
  audit: audit.en,
};
