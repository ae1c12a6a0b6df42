/** The console's campaigns area (活动): its words, mounted under console.campaigns (../i18n.ts). */
export const zh = {
  title: '活动',
  intro: '创建和编辑草稿、发布、立即截止、取消活动，查看每个活动的实时进度。',
  placeholder: '这一部分正在建设中。',
};

export const en: typeof zh = {
  title: 'Campaigns',
  intro: 'Create and edit drafts, publish, close now, cancel with a reason; the live progress of each campaign.',
  placeholder: 'This part is being built.',
};
