-- Three columns that refused valid input, each with a 500, or took two keys for one.

-- A webhook's raw body is kept as received, and the api accepts bodies up to BODY_LIMIT_BYTES
-- (65,536 by default, at most 8 MiB): TEXT holds 65,535 bytes, MEDIUMTEXT 16,777,215.
ALTER TABLE `payment_events` MODIFY `payload` MEDIUMTEXT NOT NULL;

-- An order's amount is its product's price times its qty. At the price's own width,
-- DECIMAL(10, 2), a price above 10,000,000 / qty overflowed it. DECIMAL(20, 2) holds the
-- largest price (99,999,999.99) times the largest qty an INT stock allows.
ALTER TABLE `orders` MODIFY `amount` DECIMAL(20, 2) NOT NULL;

-- Idempotency keys are compared exactly. utf8mb4_bin pads with spaces when it compares, so
-- 'evt_1' and 'evt_1 ' were one key (a webhook's body may carry either; HTTP trims a header's).
-- The binary collation that does not pad is named differently on the two servers:
-- utf8mb4_nopad_bin on MariaDB, utf8mb4_0900_bin on MySQL 8 (8.0.17 and later).
SET @exact_keys = IF(VERSION() LIKE '%MariaDB%', 'utf8mb4_nopad_bin', 'utf8mb4_0900_bin');

SET @change = CONCAT('ALTER TABLE `payment_events` MODIFY `idempotency_key` VARCHAR(255) COLLATE ', @exact_keys, ' NOT NULL');
PREPARE change_collation FROM @change;
EXECUTE change_collation;
DEALLOCATE PREPARE change_collation;

SET @change = CONCAT('ALTER TABLE `idempotency_keys` MODIFY `idempotency_key` VARCHAR(255) COLLATE ', @exact_keys, ' NOT NULL');
PREPARE change_collation FROM @change;
EXECUTE change_collation;
DEALLOCATE PREPARE change_collation;
