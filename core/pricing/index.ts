/** The pricing engine's public surface: types, `priceBasket`, `refundLine`, `isLive`. */
export * from './types';
export { priceBasket, isLive } from './engine';
export { preparePromotions, type PromotionSet } from './promotion-set';
export { refundLine, type LineRefund } from './refund';
export { inBirthdayWindow, inTimeWindow } from './calendar';
