// The cashier app's words in Simplified Chinese and English. Error codes from the local API are
// translated here; their English message from the server is shown when a code has no entry.

const zh = {
  title: 'OneCard 收银',
  hqOnline: '总部在线', hqOffline: '总部离线 · 继续收银', outbox: '待上传',
  simulated: '模拟设备', receiptsWaiting: '张小票待打印',
  codePlaceholder: '扫码 / 输入条码或 PLU，数量×条码 如 3*6901234567892，称重商品 千克×PLU 如 1.234*10001，回车',
  item: '商品', qty: '数量', price: '单价', amount: '金额',
  total: '应付', savings: '优惠', paid: '已付', due: '待付', change: '找零',
  member: '会员', noMember: '刷会员卡或按 F2 输入卡号', level: '等级', principal: '本金', bonus: '赠送', points: '积分', coupons: '优惠券', none: '无',
  birthday: '🎂 今天生日', frozen: '卡已冻结', expired: '卡已过期', lost: '卡已挂失', inactive: '卡未激活', replaced: '卡已换卡',
  newSale: '新单', memberKey: '会员', search: '查找', voidLine: '删行', cash: '现金', storedValue: '储值', pointsTender: '积分', bankCard: '银行卡',
  finish: '结账', cancelSale: '取消单', devices: '设备', language: 'English', reprint: '补打', drawer: '钱箱',
  tendered: '实收金额', amountLabel: '金额', pointsLabel: '积分数', pinLabel: '会员密码', cardNoLabel: '会员卡号',
  ok: '确定', close: '关闭', confirmCancel: '取消这一单？已收的储值、积分会退回，银行卡会撤销。',
  slipPrinted: '单据已打印', slipFailed: '单据未打印：', dayClose: '日结', confirmDayClose: '确定日结？今天的收银数据将按支付方式汇总上报总部。', dayCloseYes: '确定日结', dayCloseNo: '暂不', dayIn: '收入', dayOut: '退出', dayNet: '净额',
  pay_SENDING: '正在发送到银行卡终端…', pay_REQUEST_SENT: '终端已收到金额，请持卡人按终端提示操作', pay_INSERT_CARD: '请插卡、挥卡或刷卡', pay_CONFIRM_AMOUNT: '请在终端确认金额', pay_SELECT_INSTALLMENTS: '请在终端选择分期', pay_ENTER_PIN: '请输入密码（持卡人在终端输入）', pay_SELECT_ACCOUNT: '请在终端选择信用卡或借记卡', pay_AUTHORIZING: '正在向银行授权…', pay_TERMINAL_BUSY: '终端处理中', pay_RESOLVING: '终端无应答，正在查询上一笔交易…',
  approved: '银行卡已扣款', declined: '银行卡被拒', notCharged: '未扣款，可以重试', voided: '终端金额不符，已撤销，请重试', unknown: '无法确认是否扣款：不要重复刷卡，请查看终端最后一张签购单',
  open: '进行中', completed: '已完成', cancelled: '已取消', saleDone: '交易完成', drawerOpened: '钱箱已打开', receiptQueued: '小票未打印，已排队：', receiptPrinted: '小票已打印', receiptReprinted: '排队的小票已补打',
  pointsEarned: '本次积分', searchPlaceholder: '商品名称 / 编码 / 条码', noResults: '没有找到商品',
  virtualTitle: '模拟设备面板', scanProduct: '扫描商品', scanCode: '扫描条码', present: '放卡', presentClone: '放克隆卡', removeCard: '拿走卡',
  paperOut: '缺纸', paperIn: '装纸', coverOpen: '开盖', coverClosed: '合盖', nextAnswer: '下一笔银行应答', unplug: '拔出', plugIn: '插回',
  approve: '批准', decline: '拒绝', loseAnswer: '丢失应答', noAnswer: '无应答',
  lastReceipt: '最近一张小票', receiptsPrinted: '已打印小票', bankCharged: '银行卡累计扣款', emptyBasket: '扫描商品开始新单',
  keys: '快捷键',
  returns: '退货', returnFind: '扫描小票二维码 / 输入单号或会员卡号', refunded: '已退', returnQty: '退货数量', returnNothing: '请填写退货数量',
  refundTotal: '退款合计', bankRefundByHand: '请在银行卡终端上操作退款', pointsReversed: '扣回积分',
  shift: '班次', signIn: '收银员登录', signOut: '退出登录', signedIn: '已登录', signedOut: '未登录', operator: '工号',
  openShift: '开班', closeShift: '交班', shiftOpened: '已开班', float: '备用金', xReport: 'X 报表（当班）', zReport: 'Z 报表（交班）',
  salesCount: '销售笔数', refundsCount: '退货笔数', sales: '销售', refundsWord: '退款', topUps: '充值', expectedCash: '应有现金', countedCash: '实点现金', difference: '差额',
  coupon: '优惠券', couponCode: '券码（扫描或输入）',
  operatorCardHint: '收银员卡：已有人登录，换人请先锁屏（⇧F12）', approvedBy: '授权人', supervisorNeeded: '需要主管授权', supervisorLogin: '主管工号或主管卡号',
  lock: '锁屏', signInButton: '登录', signInCardHint: '或在读卡器上刷收银员卡', supervisorCardHint: '主管也可以在读卡器上刷主管卡', noSale: '开钱箱', operatorPin: '密码',
  newMember: '新会员开卡', memberName: '姓名', phone: '手机号', birthdayLabel: '生日', tapBlankCard: '把新卡放在读卡器上', registered: '已登记会员', cardIssued: '已写卡',
  blankCard: '未发行的空白卡：请在会员服务（⇧F2）开卡', blankCardButton: '放空白卡',
  desk: '会员服务', bonusRules: '充值赠送', topUpTier: '充', topUpAmount: '充值金额', freeze: '冻结', reportLost: '挂失', topUpDone: '充值成功',
  replaceCard: '换卡', oldCard: '原卡', newCardNo: '新卡卡号', reasonLabel: '原因', cardReplaced: '已换卡', transferBalance: '余额转移', transferTo: '转入卡号', transferAll: '不填则全部转出', balanceMoved: '余额已转移', refundTopUp: '退充值', topUpRefunded: '充值已退',
  history: '最近消费', noHistory: '没有消费记录', thisTerminal: '本机', otherStore: '其他门店', locale: 'zh-CN',
  recentTopUps: '最近充值', noTopUps: '没有充值记录', topUpsThisTillOnly: '总部离线：只能列出本机的充值，其他收银机和门店的充值联网后才能查到和退还', topUpAlreadyRefunded: '这笔充值已经退过，不能再退',
  cardStatus_active: '正常', cardStatus_frozen: '冻结', cardStatus_lost: '挂失', cardStatus_expired: '过期', cardStatus_replaced: '已换卡',
  err: {
    UNKNOWN_BARCODE: '没有这个条码的商品', UNKNOWN_PLU: '没有这个 PLU 的商品', BAD_CHECK_DIGIT: '条码校验位不对，请重扫', UNKNOWN_CARD: '不认识这张卡', CARD_FROZEN: '卡已冻结', CARD_LOST: '卡已挂失', CARD_EXPIRED: '卡已过期',
    CARD_INACTIVE: '卡未激活', INSUFFICIENT_BALANCE: '余额不足', INSUFFICIENT_POINTS: '积分不足', OVERPAID: '超过待付金额', SALE_NOT_PAID: '还没有付清',
    NO_MEMBER: '请先刷会员卡', PIN_REQUIRED: '需要会员密码', WRONG_PIN: '密码错误', PIN_LOCKED: '密码错误次数过多，已锁定', OFFLINE_LIMIT_EXCEEDED: '超过离线消费限额',
    HQ_OFFLINE: '总部离线，此操作需要联网', VALIDATION_FAILED: '输入有误', SALE_NOT_OPEN: '这一单已结束', POINTS_BELOW_REDEMPTION_UNIT: '积分不足一个抵现单位',
    CONFLICT: '操作冲突', NOT_FOUND: '找不到', INTERNAL: '终端内部错误（已记录）', UNAUTHENTICATED: '令牌无效，请从终端重新打开页面', NOT_SIGNED_IN: '请先登录', FORBIDDEN: '没有权限',
  },
};

const en = {
  title: 'OneCard Checkout',
  hqOnline: 'HQ online', hqOffline: 'HQ offline · keep selling', outbox: 'Outbox',
  simulated: 'SIMULATED DEVICES', receiptsWaiting: 'receipt(s) waiting',
  codePlaceholder: 'Scan / type a barcode or PLU, qty*code e.g. 3*6901234567892, weighed items kg*PLU e.g. 1.234*10001, Enter',
  item: 'Item', qty: 'Qty', price: 'Price', amount: 'Amount',
  total: 'Total', savings: 'Savings', paid: 'Paid', due: 'Due', change: 'Change',
  member: 'Member', noMember: 'Present a member card or press F2', level: 'Level', principal: 'Principal', bonus: 'Bonus', points: 'Points', coupons: 'Coupons', none: 'none',
  birthday: '🎂 Birthday today', frozen: 'Card frozen', expired: 'Card expired', lost: 'Card reported lost', inactive: 'Card not active', replaced: 'Card replaced',
  newSale: 'New sale', memberKey: 'Member', search: 'Search', voidLine: 'Void line', cash: 'Cash', storedValue: 'Stored value', pointsTender: 'Points', bankCard: 'Bank card',
  finish: 'Finish', cancelSale: 'Cancel sale', devices: 'Devices', language: '中文', reprint: 'Reprint', drawer: 'Drawer',
  tendered: 'Cash received', amountLabel: 'Amount', pointsLabel: 'Points', pinLabel: 'Member PIN', cardNoLabel: 'Member card number',
  ok: 'OK', close: 'Close', confirmCancel: 'Cancel this sale? Stored value and points go back; bank-card payments are voided.',
  slipPrinted: 'Slip printed', slipFailed: 'Slip not printed: ', dayClose: 'Day close', confirmDayClose: 'Close the day? Today\'s takings are totalled by tender and reported to HQ.', dayCloseYes: 'Close the day', dayCloseNo: 'Not now', dayIn: 'In', dayOut: 'Out', dayNet: 'Net',
  pay_SENDING: 'Sending to the card terminal…', pay_REQUEST_SENT: 'The terminal has the amount: the customer follows its screen', pay_INSERT_CARD: 'Insert, tap or swipe the card', pay_CONFIRM_AMOUNT: 'Confirm the amount on the terminal', pay_SELECT_INSTALLMENTS: 'Choose instalments on the terminal', pay_ENTER_PIN: 'Enter PIN (the customer types it on the terminal)', pay_SELECT_ACCOUNT: 'Choose credit or debit on the terminal', pay_AUTHORIZING: 'Authorising with the bank…', pay_TERMINAL_BUSY: 'The terminal is working', pay_RESOLVING: 'No answer from the terminal; asking for its last transaction…',
  approved: 'Card approved', declined: 'Card declined', notCharged: 'Not charged; you can try again', voided: 'The terminal charged a wrong amount; voided, try again', unknown: 'Cannot tell if the card was charged: do NOT charge again, check the terminal\'s last slip',
  open: 'open', completed: 'completed', cancelled: 'cancelled', saleDone: 'Sale complete', drawerOpened: 'Drawer opened', receiptQueued: 'Receipt not printed, queued: ', receiptPrinted: 'Receipt printed', receiptReprinted: 'Queued receipt printed',
  pointsEarned: 'Points earned', searchPlaceholder: 'Product name / SKU / barcode', noResults: 'No product found',
  virtualTitle: 'Virtual devices', scanProduct: 'Scan product', scanCode: 'Scan code', present: 'Present card', presentClone: 'Present cloned card', removeCard: 'Remove card',
  paperOut: 'Paper out', paperIn: 'Paper in', coverOpen: 'Open cover', coverClosed: 'Close cover', nextAnswer: 'Next bank answer', unplug: 'Unplug', plugIn: 'Plug in',
  approve: 'Approve', decline: 'Decline', loseAnswer: 'Lose answer', noAnswer: 'No answer',
  lastReceipt: 'Last receipt', receiptsPrinted: 'Receipts printed', bankCharged: 'Bank card charged', emptyBasket: 'Scan an item to start a sale',
  keys: 'Keys',
  returns: 'Returns', returnFind: 'Scan the receipt QR / type the sale id or a member card', refunded: 'refunded', returnQty: 'Return qty', returnNothing: 'Enter a quantity to return',
  refundTotal: 'Refund total', bankRefundByHand: 'refund it on the bank terminal', pointsReversed: 'Points taken back',
  shift: 'Shift', signIn: 'Cashier sign-in', signOut: 'Sign out', signedIn: 'Signed in', signedOut: 'not signed in', operator: 'Login',
  openShift: 'Open shift', closeShift: 'Close shift', shiftOpened: 'Shift open', float: 'Float', xReport: 'X report (mid-shift)', zReport: 'Z report (shift close)',
  salesCount: 'Sales', refundsCount: 'Refunds', sales: 'Sales', refundsWord: 'Refunds', topUps: 'Top-ups', expectedCash: 'Expected cash', countedCash: 'Counted cash', difference: 'Difference',
  coupon: 'Coupon', couponCode: 'Coupon code (scan or type)',
  operatorCardHint: 'Operator card: someone is signed in; lock the till first (⇧F12)', approvedBy: 'approved by', supervisorNeeded: 'Supervisor needed', supervisorLogin: 'Supervisor login or card number',
  lock: 'Lock', signInButton: 'Sign in', signInCardHint: 'or tap your operator card on the reader', supervisorCardHint: 'The supervisor may tap their card on the reader instead', noSale: 'No sale', operatorPin: 'PIN',
  newMember: 'New member', memberName: 'Name', phone: 'Phone', birthdayLabel: 'Birthday', tapBlankCard: 'Put the new card on the reader', registered: 'Member registered', cardIssued: 'card written',
  blankCard: 'Blank card, never issued: issue it at the member desk (⇧F2):', blankCardButton: 'Present blank card',
  desk: 'Member desk', bonusRules: 'Top-up bonus', topUpTier: 'top up', topUpAmount: 'Top-up amount', freeze: 'Freeze', reportLost: 'Report lost', topUpDone: 'Topped up',
  replaceCard: 'Replace card', oldCard: 'Old card', newCardNo: 'New card number', reasonLabel: 'Reason', cardReplaced: 'Card replaced', transferBalance: 'Move balance', transferTo: 'To card', transferAll: 'empty: move all of it', balanceMoved: 'Balance moved', refundTopUp: 'Refund top-up', topUpRefunded: 'Top-up refunded',
  history: 'Recent purchases', noHistory: 'No purchases yet', thisTerminal: 'this till', otherStore: 'other store', locale: 'en',
  recentTopUps: 'Recent top-ups', noTopUps: 'No top-ups yet', topUpsThisTillOnly: "HQ is offline: only this till's top-ups can be listed; those made at other tills and stores can be listed and given back once HQ is reached", topUpAlreadyRefunded: 'This top-up was already given back; it cannot be given back again',
  cardStatus_active: 'active', cardStatus_frozen: 'frozen', cardStatus_lost: 'lost', cardStatus_expired: 'expired', cardStatus_replaced: 'replaced',
  err: {
    UNKNOWN_BARCODE: 'No product with this barcode', UNKNOWN_PLU: 'No product with this PLU', BAD_CHECK_DIGIT: 'Wrong check digit: scan again', UNKNOWN_CARD: 'Unknown card', CARD_FROZEN: 'Card frozen', CARD_LOST: 'Card reported lost', CARD_EXPIRED: 'Card expired',
    CARD_INACTIVE: 'Card not active', INSUFFICIENT_BALANCE: 'Insufficient balance', INSUFFICIENT_POINTS: 'Not enough points', OVERPAID: 'More than is due', SALE_NOT_PAID: 'Not fully paid yet',
    NO_MEMBER: 'Present a member card first', PIN_REQUIRED: 'Member PIN needed', WRONG_PIN: 'Wrong PIN', PIN_LOCKED: 'Too many wrong PINs: locked', OFFLINE_LIMIT_EXCEEDED: 'Over the offline limit',
    HQ_OFFLINE: 'HQ is offline; this needs HQ', VALIDATION_FAILED: 'Check the input', SALE_NOT_OPEN: 'This sale is over', POINTS_BELOW_REDEMPTION_UNIT: 'Below one redemption unit',
    CONFLICT: 'Conflict', NOT_FOUND: 'Not found', INTERNAL: 'Terminal error (logged)', UNAUTHENTICATED: 'Bad token: reopen the page from the terminal', NOT_SIGNED_IN: 'Sign in first', FORBIDDEN: 'Not allowed',
  },
};

const DICTS = { 'zh-CN': zh, en };
let lang = 'zh-CN';

export function setLanguage(l) {
  lang = DICTS[l] ? l : 'zh-CN';
  document.documentElement.lang = lang;
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
}

export function language() {
  return lang;
}

export function t(key) {
  return DICTS[lang][key] ?? DICTS.en[key] ?? key;
}

/** A cashier-facing sentence for an API error: the localized code, then the server's detail. */
export function errorText(code, message) {
  const known = DICTS[lang].err[code];
  return known ? `${known} (${code})${message ? ` — ${message}` : ''}` : `${code}: ${message ?? ''}`;
}
