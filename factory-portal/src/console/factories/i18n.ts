/** The console's factories & orchards area (工厂与果园): its words, mounted under console.factories (../i18n.ts). */
export const zh = {
  title: '工厂与果园',
  intro: '工厂与果园的入驻、用户、API 密钥、推送状态和失败的推送。',
  placeholder: '这一部分正在建设中。',
};

export const en: typeof zh = {
  title: 'Factories & orchards',
  intro: 'Onboarding, users, API keys, webhook status and failing deliveries of factories and orchards.',
  placeholder: 'This part is being built.',
};
