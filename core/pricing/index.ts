/** The pricing engine's public surface: types, schema, `priceBasket`, `preparePromotions`, `refundLine`, `isLive`. */
export * from './types';
export { priceBasket, isLive } from './engine';
export { preparePromotions, type PromotionSet } from './promotion-set';
export { refundLine, type LineRefund } from './refund';
export { inBirthdayWindow, inTimeWindow } from './calendar';
export { promotionSchema } from './schema';
export { basketOf, promotion } from './builders';
