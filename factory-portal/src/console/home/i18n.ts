/** The console's overview area (概览): its words, mounted under console.home (../i18n.ts). */
export const zh = {
  title: '概览',
  intro: '业务指标：预订与件数、定金、尾款、退款、任务延迟、推送失败和逾期批次。',
  placeholder: '这一部分正在建设中。',
};

export const en: typeof zh = {
  title: 'Overview',
  intro: 'Business figures: pledges and units, deposits, balances, refunds, job lag, failed pushes and overdue batches.',
  placeholder: 'This part is being built.',
};
