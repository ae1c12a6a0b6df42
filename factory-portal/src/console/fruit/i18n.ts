/** The console's fruit area (水果): its words, mounted under console.fruit (../i18n.ts). */
export const zh = {
  title: '水果',
  intro: '水果目录（成熟期、供应、产季）、缺货和按发货日的公平分配、拣货单。',
  placeholder: '这一部分正在建设中。',
};

export const en: typeof zh = {
  title: 'Fruit',
  intro: 'The fruit catalogue (ripening, supply, seasons), shortfalls and fair shares per ship date, picking lists.',
  placeholder: 'This part is being built.',
};
