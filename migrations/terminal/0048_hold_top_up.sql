-- The top-up a top-up refund's hold gives back, sent with every Authorize of it (a retry of a
-- hold whose answer was lost must name it again, or HQ takes it for another hold).
ALTER TABLE holds ADD COLUMN top_up_id TEXT;
