-- What a store shows customers besides its address, phone and description: its opening hours,
-- as staff write them ("평일 08:00~21:00, 주말 휴무"). The store edits them in the store web UI.
ALTER TABLE store ADD COLUMN opening_hours text NOT NULL DEFAULT '';
