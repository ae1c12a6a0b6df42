/** The console's audit log area (审计日志): its words, mounted under console.audit (../i18n.ts). */
export const zh = {
  title: '审计日志',
  intro: '每一次改变状态的运营操作：谁、何时、做了什么、为什么。',
  placeholder: '这一部分正在建设中。',
};

export const en: typeof zh = {
  title: 'Audit log',
  intro: 'Every operator action that changed something: who, when, what and why.',
  placeholder: 'This part is being built.',
};
