-- 满赠: a gift the pricing engine gives is a sale line of its own (amount 0, its value as the
-- promotion's share), marked with the promotion so repricing replaces it and scans never merge into it.
ALTER TABLE sale_lines ADD COLUMN gift_promotion_id TEXT;
