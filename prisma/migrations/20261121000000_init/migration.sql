-- CreateTable
CREATE TABLE `products` (
    `id` INTEGER NOT NULL AUTO_INCREMENT,
    `code` VARCHAR(64) NOT NULL,
    `name` VARCHAR(255) NOT NULL,
    `price` DECIMAL(10, 2) NOT NULL,
    `total_stock` INTEGER NOT NULL,
    `available_stock` INTEGER NOT NULL,
    `stock_version` INTEGER NOT NULL DEFAULT 0,
    `created_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `updated_at` DATETIME(3) NOT NULL,

    UNIQUE INDEX `products_code_key`(`code`),
    PRIMARY KEY (`id`),
    -- The last line of defence against overselling: the database itself refuses it.
    CONSTRAINT `products_stock_in_range` CHECK (`available_stock` >= 0 AND `available_stock` <= `total_stock`),
    CONSTRAINT `products_price_not_negative` CHECK (`price` >= 0)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
CREATE TABLE `holds` (
    `id` INTEGER NOT NULL AUTO_INCREMENT,
    `product_id` INTEGER NOT NULL,
    `qty` INTEGER NOT NULL,
    `status` ENUM('active', 'used', 'expired', 'released') NOT NULL DEFAULT 'active',
    `expires_at` DATETIME(3) NOT NULL,
    `created_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `updated_at` DATETIME(3) NOT NULL,

    INDEX `holds_status_expires_at_idx`(`status`, `expires_at`),
    INDEX `holds_product_id_status_idx`(`product_id`, `status`),
    PRIMARY KEY (`id`),
    CONSTRAINT `holds_qty_positive` CHECK (`qty` > 0)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
CREATE TABLE `orders` (
    `id` INTEGER NOT NULL AUTO_INCREMENT,
    `hold_id` INTEGER NOT NULL,
    `product_id` INTEGER NOT NULL,
    `qty` INTEGER NOT NULL,
    `amount` DECIMAL(10, 2) NOT NULL,
    `status` ENUM('pending', 'paid', 'cancelled') NOT NULL DEFAULT 'pending',
    `cancel_reason` ENUM('payment_failed', 'payment_timeout') NULL,
    `payment_due_at` DATETIME(3) NOT NULL,
    `created_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `updated_at` DATETIME(3) NOT NULL,

    UNIQUE INDEX `orders_hold_id_key`(`hold_id`),
    INDEX `orders_status_payment_due_at_idx`(`status`, `payment_due_at`),
    INDEX `orders_product_id_status_idx`(`product_id`, `status`),
    PRIMARY KEY (`id`),
    CONSTRAINT `orders_qty_positive` CHECK (`qty` > 0)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
CREATE TABLE `payment_events` (
    `id` INTEGER NOT NULL AUTO_INCREMENT,
    `idempotency_key` VARCHAR(255) COLLATE utf8mb4_bin NOT NULL,
    `order_id` INTEGER NOT NULL,
    `result` ENUM('success', 'failure') NOT NULL,
    `body_hash` CHAR(64) NOT NULL,
    `payload` TEXT NOT NULL,
    `outcome` ENUM('applied', 'ignored_duplicate_state', 'conflict', 'orphaned') NULL,
    `outcome_detail` VARCHAR(255) NULL,
    `received_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `processed_at` DATETIME(3) NULL,

    UNIQUE INDEX `payment_events_idempotency_key_key`(`idempotency_key`),
    INDEX `payment_events_order_id_idx`(`order_id`),
    INDEX `payment_events_outcome_received_at_idx`(`outcome`, `received_at`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
CREATE TABLE `idempotency_keys` (
    `id` INTEGER NOT NULL AUTO_INCREMENT,
    `scope` VARCHAR(64) NOT NULL,
    `idempotency_key` VARCHAR(255) COLLATE utf8mb4_bin NOT NULL,
    `request_hash` CHAR(64) NOT NULL,
    `status` ENUM('processing', 'completed') NOT NULL DEFAULT 'processing',
    `lock_token` CHAR(36) NOT NULL,
    `locked_until` DATETIME(3) NOT NULL,
    `response_status` INTEGER NULL,
    `response_body` TEXT NULL,
    `created_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `expires_at` DATETIME(3) NOT NULL,

    UNIQUE INDEX `idempotency_keys_scope_idempotency_key_key`(`scope`, `idempotency_key`),
    INDEX `idempotency_keys_expires_at_idx`(`expires_at`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- AddForeignKey
ALTER TABLE `holds` ADD CONSTRAINT `holds_product_id_fkey` FOREIGN KEY (`product_id`) REFERENCES `products`(`id`) ON DELETE RESTRICT ON UPDATE RESTRICT;

-- AddForeignKey
ALTER TABLE `orders` ADD CONSTRAINT `orders_hold_id_fkey` FOREIGN KEY (`hold_id`) REFERENCES `holds`(`id`) ON DELETE RESTRICT ON UPDATE RESTRICT;

-- AddForeignKey
ALTER TABLE `orders` ADD CONSTRAINT `orders_product_id_fkey` FOREIGN KEY (`product_id`) REFERENCES `products`(`id`) ON DELETE RESTRICT ON UPDATE RESTRICT;
