-- Coupon codes HQ issued for the coupon promotions this terminal holds (members' wallets and
-- bearer codes), and the codes presented on each sale with what pricing made of them.
CREATE TABLE coupons (
  code TEXT PRIMARY KEY,
  promotion_id TEXT NOT NULL,
  member_id TEXT,
  valid_to TEXT,
  -- Set when a sale here consumed it (HQ then withdraws it everywhere).
  used_sale_id TEXT
);
CREATE INDEX coupons_promotion ON coupons (promotion_id);

CREATE TABLE sale_coupons (
  sale_id TEXT NOT NULL REFERENCES sales (id),
  code TEXT NOT NULL,
  -- 'applied', or the engine's reason it was not (core/pricing CouponRejection).
  status TEXT NOT NULL DEFAULT 'presented',
  presented_at INTEGER NOT NULL,
  PRIMARY KEY (sale_id, code)
);
