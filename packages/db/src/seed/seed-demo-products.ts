import type { Db } from '../client.ts';

export const demoProducts = [
  { code: 'FLASH-001', name: 'Limited sneaker', price: '199.00', totalStock: 100 },
  { code: 'FLASH-002', name: 'Signed vinyl', price: '49.90', totalStock: 25 },
  { code: 'FLASH-003', name: 'Collector watch', price: '1299.00', totalStock: 5 },
] as const;

/** Seeds the demo catalogue into an empty database; a database with any product is left alone. */
export async function seedDemoProducts(db: Db): Promise<{ created: number }> {
  if ((await db.product.count()) > 0) return { created: 0 };
  const result = await db.product.createMany({
    data: demoProducts.map((product) => ({ ...product, availableStock: product.totalStock })),
    skipDuplicates: true,
  });
  return { created: result.count };
}
