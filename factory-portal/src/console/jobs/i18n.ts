/** The console's jobs area (任务): its words, mounted under console.jobs (../i18n.ts). */
export const zh = {
  title: '任务',
  intro: '每种任务的待执行、执行中、失败和已放弃的任务，重试和取消，任务延迟。',
  placeholder: '这一部分正在建设中。',
};

export const en: typeof zh = {
  title: 'Jobs',
  intro: 'Due, running, failed and given-up jobs per name, with retry and cancel; job lag.',
  placeholder: 'This part is being built.',
};
