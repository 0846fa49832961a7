/** The languages a store may run in: the cashier UI switches between them; receipts use the store's. */
export type Language = 'zh-CN' | 'en';

export const LANGUAGES: readonly Language[] = ['zh-CN', 'en'];

export function isLanguage(s: unknown): s is Language {
  return s === 'zh-CN' || s === 'en';
}

/** The store's language when nothing says otherwise: Chinese for a renminbi store, English elsewhere. */
export function defaultStoreLanguage(currency: string): Language {
  return currency === 'CNY' ? 'zh-CN' : 'en';
}

/** Currency sign shown before amounts (the printer prints ¥ as the full-width ￥ in GB18030). */
export function currencySign(currency: string): string {
  switch (currency) {
    case 'CNY':
    case 'JPY':
      return '¥';
    case 'HKD':
      return 'HK$';
    case 'USD':
      return '$';
    case 'EUR':
      return '€';
    default:
      return `${currency} `;
  }
}

const RECEIPT_TEXT = {
  'zh-CN': {
    sale: '单号',
    time: '时间',
    terminal: '收银机',
    total: '合计',
    paid: '实收',
    change: '找零',
    cash: '现金',
    stored_value: '储值卡',
    points: '积分抵现',
    bank_card: '银行卡',
    member: '会员',
    pointsEarned: '本次积分',
    items: '件数',
    savings: '优惠',
    thanks: '谢谢惠顾，欢迎再次光临',
    offline: '离线交易（联网后上传）',
    pointsUnit: '分',
  },
  en: {
    sale: 'Sale',
    time: 'Time',
    terminal: 'Till',
    total: 'TOTAL',
    paid: 'Paid',
    change: 'Change',
    cash: 'Cash',
    stored_value: 'Stored value',
    points: 'Points',
    bank_card: 'Bank card',
    member: 'Member',
    pointsEarned: 'Points earned',
    items: 'Items',
    savings: 'You saved',
    thanks: 'Thank you, please come again',
    offline: 'Offline sale (uploaded when HQ is back)',
    pointsUnit: 'pts',
  },
} as const;

export type ReceiptKey = keyof (typeof RECEIPT_TEXT)['en'];

/** A receipt word in `lang`. */
export function receiptText(lang: Language, key: ReceiptKey): string {
  return RECEIPT_TEXT[lang][key];
}
