import { parseMoney } from '../platform/money';
import type { Fruit } from './fruit';

/**
 * The default catalogue: common fruit eaten in China. Operations override figures per lot.
 *
 * Ripening days are at room temperature (20–22 °C) from the state we ship in, after published
 * postharvest figures: non-climacteric fruit (citrus, grapes, berries, cherries, lychee, pineapple,
 * jujube, loquat) and apples are ready on arrival; peach, plum, apricot and melon 1–2 d; kiwi 2–3 d
 * (preconditioned); mango 3–4 d; avocado 2–5 d; European pear 4–5 d; bananas shipped at colour
 * stage 2–3 ripen in 2–4 d. Fuyu persimmon is eaten firm.
 * Good days are how long it stays good once ripe at room temperature (whole, uncut).
 * Seasons by origin follow the Chinese seasonal calendar; cold-stored (气调库) apples and Korla pears,
 * and imports (Chilean cherries in Dec–Feb, New Zealand kiwi and apples in the Chinese spring and
 * summer) extend some fruit beyond their main months.
 * Ethylene: producers per the usual storage-compatibility lists (apple, pear, banana, peach, plum,
 * apricot, mango, melon, avocado); sensitive: kiwi, avocado, persimmon.
 * A portion is about 150–200 g of edible fruit. Unit costs are what we pay, in CNY.
 */
const ALL_YEAR = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
const NONE = { producer: false, sensitive: false };
const PRODUCER = { producer: true, sensitive: false };
const SENSITIVE = { producer: false, sensitive: true };

export const FRUIT_CATALOGUE: readonly Fruit[] = [
  {
    id: 'apple', nameZh: '苹果', nameEn: 'Apple (Fuji)', unit: 'piece', portionsPerUnit: 1,
    ripeningDays: [0, 0], goodDays: 14,
    seasons: [
      { origin: 'Shandong Yantai 山东烟台', months: [9, 10, 11, 12] },
      { origin: 'Shaanxi Luochuan 陕西洛川 (cold-stored)', months: [10, 11, 12, 1, 2, 3, 4, 5, 6] },
      { origin: 'New Zealand 新西兰', months: [4, 5, 6, 7, 8] },
    ],
    ethylene: PRODUCER, unitCost: parseMoney('2.50'),
  },
  {
    id: 'apricot', nameZh: '杏', nameEn: 'Apricot', unit: 'kg', portionsPerUnit: 6,
    ripeningDays: [1, 2], goodDays: 2,
    seasons: [
      { origin: 'Hebei 河北', months: [5, 6] },
      { origin: 'Xinjiang Luntai 新疆轮台', months: [6, 7] },
    ],
    ethylene: PRODUCER, unitCost: parseMoney('12.00'),
  },
  {
    id: 'avocado', nameZh: '牛油果', nameEn: 'Avocado (Hass)', unit: 'piece', portionsPerUnit: 2,
    ripeningDays: [2, 5], goodDays: 2,
    seasons: [
      { origin: 'Mexico 墨西哥', months: ALL_YEAR },
      { origin: 'Yunnan Menglian 云南孟连', months: [8, 9, 10, 11] },
    ],
    ethylene: { producer: true, sensitive: true }, unitCost: parseMoney('6.00'),
  },
  {
    id: 'banana', nameZh: '香蕉', nameEn: 'Banana (Cavendish, colour stage 2–3)', unit: 'piece', portionsPerUnit: 1,
    ripeningDays: [2, 4], goodDays: 4,
    seasons: [
      { origin: 'Hainan 海南', months: ALL_YEAR },
      { origin: 'Yunnan 云南', months: ALL_YEAR },
    ],
    ethylene: PRODUCER, unitCost: parseMoney('1.50'),
  },
  {
    id: 'blueberry', nameZh: '蓝莓', nameEn: 'Blueberry', unit: 'kg', portionsPerUnit: 8,
    ripeningDays: [0, 0], goodDays: 5,
    seasons: [
      { origin: 'Yunnan 云南', months: [1, 2, 3, 4, 5] },
      { origin: 'Shandong / Liaoning 山东/辽宁', months: [6, 7, 8] },
      { origin: 'Peru / Chile 秘鲁/智利', months: [10, 11, 12] },
    ],
    ethylene: NONE, unitCost: parseMoney('70.00'),
  },
  {
    id: 'cherry', nameZh: '樱桃', nameEn: 'Cherry', unit: 'kg', portionsPerUnit: 6,
    ripeningDays: [0, 0], goodDays: 3,
    seasons: [
      { origin: 'Shandong Yantai 山东烟台', months: [5, 6] },
      { origin: 'Chile 智利', months: [12, 1, 2] },
    ],
    ethylene: NONE, unitCost: parseMoney('60.00'),
  },
  {
    id: 'dragon-fruit', nameZh: '火龙果', nameEn: 'Dragon fruit', unit: 'piece', portionsPerUnit: 2,
    ripeningDays: [0, 0], goodDays: 7,
    seasons: [
      { origin: 'Guangxi 广西', months: [5, 6, 7, 8, 9, 10, 11] },
      { origin: 'Hainan (lit in winter) 海南', months: [12, 1, 2, 3, 4] },
    ],
    ethylene: NONE, unitCost: parseMoney('5.00'),
  },
  {
    id: 'fragrant-pear', nameZh: '库尔勒香梨', nameEn: 'Korla fragrant pear', unit: 'kg', portionsPerUnit: 5,
    ripeningDays: [0, 0], goodDays: 14,
    seasons: [{ origin: 'Xinjiang Korla 新疆库尔勒 (cold-stored)', months: [9, 10, 11, 12, 1, 2, 3, 4] }],
    ethylene: PRODUCER, unitCost: parseMoney('12.00'),
  },
  {
    id: 'grape', nameZh: '葡萄', nameEn: 'Grape', unit: 'kg', portionsPerUnit: 5,
    ripeningDays: [0, 0], goodDays: 5,
    seasons: [
      { origin: 'Yunnan Binchuan 云南宾川', months: [5, 6] },
      { origin: 'Xinjiang Turpan 新疆吐鲁番', months: [7, 8, 9, 10] },
    ],
    ethylene: NONE, unitCost: parseMoney('12.00'),
  },
  {
    id: 'jujube', nameZh: '冬枣', nameEn: 'Winter jujube', unit: 'kg', portionsPerUnit: 6,
    ripeningDays: [0, 0], goodDays: 5,
    seasons: [
      { origin: 'Shandong Zhanhua 山东沾化', months: [9, 10] },
      { origin: 'Shaanxi Dali 陕西大荔', months: [9, 10] },
    ],
    ethylene: NONE, unitCost: parseMoney('14.00'),
  },
  {
    id: 'kiwi', nameZh: '猕猴桃', nameEn: 'Kiwifruit', unit: 'piece', portionsPerUnit: 1,
    ripeningDays: [2, 3], goodDays: 5,
    seasons: [
      { origin: 'New Zealand 新西兰', months: [4, 5, 6] },
      { origin: 'Shaanxi Zhouzhi 陕西周至', months: [9, 10, 11, 12] },
    ],
    ethylene: SENSITIVE, unitCost: parseMoney('1.20'),
  },
  {
    id: 'loquat', nameZh: '枇杷', nameEn: 'Loquat', unit: 'kg', portionsPerUnit: 5,
    ripeningDays: [0, 0], goodDays: 3,
    seasons: [
      { origin: 'Fujian Putian 福建莆田', months: [3, 4, 5] },
      { origin: 'Jiangsu Dongshan 江苏东山', months: [5, 6] },
    ],
    ethylene: NONE, unitCost: parseMoney('22.00'),
  },
  {
    id: 'lychee', nameZh: '荔枝', nameEn: 'Lychee', unit: 'kg', portionsPerUnit: 8,
    ripeningDays: [0, 0], goodDays: 2,
    seasons: [
      { origin: 'Hainan 海南', months: [5, 6] },
      { origin: 'Guangdong 广东', months: [6, 7] },
    ],
    ethylene: NONE, unitCost: parseMoney('18.00'),
  },
  {
    id: 'mandarin', nameZh: '沙糖桔', nameEn: 'Mandarin (Shatangju)', unit: 'kg', portionsPerUnit: 6,
    ripeningDays: [0, 0], goodDays: 10,
    seasons: [
      { origin: 'Zhejiang / Hubei 浙江/湖北', months: [10, 11, 12] },
      { origin: 'Guangxi 广西', months: [11, 12, 1, 2] },
    ],
    ethylene: NONE, unitCost: parseMoney('8.00'),
  },
  {
    id: 'mango', nameZh: '芒果', nameEn: 'Mango', unit: 'piece', portionsPerUnit: 2,
    ripeningDays: [3, 4], goodDays: 4,
    seasons: [
      { origin: 'Hainan 海南', months: [3, 4, 5, 6] },
      { origin: 'Guangxi Baise 广西百色', months: [6, 7, 8] },
      { origin: 'Sichuan Panzhihua 四川攀枝花', months: [7, 8, 9, 10] },
    ],
    ethylene: PRODUCER, unitCost: parseMoney('4.00'),
  },
  {
    id: 'melon', nameZh: '哈密瓜', nameEn: 'Hami melon', unit: 'piece', portionsPerUnit: 8,
    ripeningDays: [1, 2], goodDays: 5,
    seasons: [
      { origin: 'Xinjiang 新疆', months: [6, 7, 8, 9, 10] },
      { origin: 'Hainan 海南', months: [12, 1, 2, 3, 4, 5] },
    ],
    ethylene: PRODUCER, unitCost: parseMoney('15.00'),
  },
  {
    id: 'navel-orange', nameZh: '脐橙', nameEn: 'Navel orange', unit: 'piece', portionsPerUnit: 1,
    ripeningDays: [0, 0], goodDays: 14,
    seasons: [
      { origin: 'Jiangxi Gannan 江西赣南', months: [11, 12, 1, 2] },
      { origin: 'Hubei Zigui 湖北秭归', months: [3, 4, 5] },
    ],
    ethylene: NONE, unitCost: parseMoney('2.00'),
  },
  {
    id: 'peach', nameZh: '桃', nameEn: 'Peach', unit: 'piece', portionsPerUnit: 1,
    ripeningDays: [1, 2], goodDays: 3,
    seasons: [
      { origin: 'Jiangsu Wuxi Yangshan 无锡阳山', months: [6, 7, 8] },
      { origin: 'Beijing Pinggu 北京平谷', months: [7, 8, 9] },
    ],
    ethylene: PRODUCER, unitCost: parseMoney('2.50'),
  },
  {
    id: 'pear', nameZh: '西洋梨', nameEn: 'European pear', unit: 'piece', portionsPerUnit: 1,
    ripeningDays: [4, 5], goodDays: 3,
    seasons: [{ origin: 'Shandong Yantai 山东烟台', months: [8, 9, 10, 11] }],
    ethylene: PRODUCER, unitCost: parseMoney('3.00'),
  },
  {
    id: 'persimmon', nameZh: '甜柿', nameEn: 'Fuyu persimmon (eaten firm)', unit: 'piece', portionsPerUnit: 1,
    ripeningDays: [0, 0], goodDays: 10,
    seasons: [
      { origin: 'Yunnan 云南', months: [9, 10, 11] },
      { origin: 'Guangxi 广西', months: [10, 11, 12] },
    ],
    ethylene: SENSITIVE, unitCost: parseMoney('2.50'),
  },
  {
    id: 'pineapple', nameZh: '菠萝', nameEn: 'Pineapple', unit: 'piece', portionsPerUnit: 6,
    ripeningDays: [0, 0], goodDays: 4,
    seasons: [
      { origin: 'Hainan 海南', months: [1, 2, 3, 4, 5, 6] },
      { origin: 'Guangdong Xuwen 广东徐闻', months: [2, 3, 4, 5] },
    ],
    ethylene: NONE, unitCost: parseMoney('8.00'),
  },
  {
    id: 'plum', nameZh: '李子', nameEn: 'Plum', unit: 'kg', portionsPerUnit: 6,
    ripeningDays: [1, 2], goodDays: 3,
    seasons: [
      { origin: 'Guangdong 广东 (三华李)', months: [6, 7] },
      { origin: 'Sichuan 四川 (青脆李)', months: [7, 8, 9] },
    ],
    ethylene: PRODUCER, unitCost: parseMoney('10.00'),
  },
  {
    id: 'pomegranate', nameZh: '石榴', nameEn: 'Pomegranate', unit: 'piece', portionsPerUnit: 2,
    ripeningDays: [0, 0], goodDays: 14,
    seasons: [
      { origin: 'Sichuan Huili 四川会理', months: [8, 9, 10] },
      { origin: 'Shaanxi Lintong 陕西临潼', months: [9, 10, 11] },
    ],
    ethylene: NONE, unitCost: parseMoney('5.00'),
  },
  {
    id: 'pomelo', nameZh: '柚子', nameEn: 'Pomelo', unit: 'piece', portionsPerUnit: 8,
    ripeningDays: [0, 0], goodDays: 21,
    seasons: [
      { origin: 'Fujian Pinghe 福建平和', months: [9, 10, 11, 12] },
      { origin: 'Guangxi Rongxian 广西容县', months: [10, 11, 12, 1] },
    ],
    ethylene: NONE, unitCost: parseMoney('12.00'),
  },
  {
    id: 'strawberry', nameZh: '草莓', nameEn: 'Strawberry', unit: 'kg', portionsPerUnit: 6,
    ripeningDays: [0, 0], goodDays: 2,
    seasons: [
      { origin: 'Zhejiang Jiande 浙江建德', months: [12, 1, 2, 3] },
      { origin: 'Liaoning Dandong 辽宁丹东', months: [1, 2, 3, 4, 5] },
    ],
    ethylene: NONE, unitCost: parseMoney('36.00'),
  },
  {
    id: 'watermelon', nameZh: '西瓜', nameEn: 'Watermelon (Qilin, ~4 kg)', unit: 'piece', portionsPerUnit: 12,
    ripeningDays: [0, 0], goodDays: 7,
    seasons: [
      { origin: 'Hainan 海南', months: [3, 4, 5] },
      { origin: 'Shanghai Nanhui 上海南汇', months: [6, 7, 8] },
      { origin: 'Ningxia 宁夏', months: [7, 8, 9] },
    ],
    ethylene: NONE, unitCost: parseMoney('18.00'),
  },
];
