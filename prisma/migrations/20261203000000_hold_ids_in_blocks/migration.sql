-- Hold ids are handed out by the api itself, in blocks reserved from id_sequences, so that a
-- batch of holds names its ids in its INSERT instead of reading them back afterwards
-- (packages/checkout/src/holds/hold-ids.ts says why). holds.id loses AUTO_INCREMENT: an INSERT
-- that names no id then fails, instead of taking an id that a block has already promised.
-- Apply it with every api process stopped (an older api inserts holds without an id).

-- CreateTable
CREATE TABLE `id_sequences` (
    `name` VARCHAR(64) NOT NULL,
    `next_id` INTEGER NOT NULL,

    PRIMARY KEY (`name`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- The id AUTO_INCREMENT would have given next: above every hold, and above the ids of inserts
-- that were rolled back, whose expiry jobs may still be in Redis. MySQL 8 caches this figure in
-- information_schema; ANALYZE TABLE brings it up to date.
ANALYZE TABLE `holds`;
SET @holds_next_id = (SELECT `AUTO_INCREMENT` FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'holds');

-- DropForeignKey (a column that a foreign key references cannot be changed while it does)
ALTER TABLE `orders` DROP FOREIGN KEY `orders_hold_id_fkey`;

-- AlterTable
ALTER TABLE `holds` MODIFY `id` INTEGER NOT NULL;

-- AddForeignKey
ALTER TABLE `orders` ADD CONSTRAINT `orders_hold_id_fkey` FOREIGN KEY (`hold_id`) REFERENCES `holds`(`id`) ON DELETE RESTRICT ON UPDATE RESTRICT;

-- Once no hold can take an id of its own: above every hold there is then, too.
INSERT INTO `id_sequences` (`name`, `next_id`)
SELECT 'holds', GREATEST(COALESCE(MAX(`id`), 0) + 1, COALESCE(@holds_next_id, 1)) FROM `holds`;
