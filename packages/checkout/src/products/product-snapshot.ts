/** What a product read returns; cached in Redis as one unit, versioned by stock_version. */
export interface ProductSnapshot {
  id: number;
  code: string;
  name: string;
  /** Decimal string with two places, as the contract shows money. */
  price: string;
  totalStock: number;
  availableStock: number;
  stockVersion: number;
}

interface ProductRow {
  id: number;
  code: string;
  name: string;
  price: { toFixed(places: number): string } | string | number;
  totalStock: number;
  availableStock: number;
  stockVersion: number;
}

export function toProductSnapshot(row: ProductRow): ProductSnapshot {
  const price = typeof row.price === 'object' ? row.price.toFixed(2) : Number(row.price).toFixed(2);
  return {
    id: row.id,
    code: row.code,
    name: row.name,
    price,
    totalStock: row.totalStock,
    availableStock: row.availableStock,
    stockVersion: row.stockVersion,
  };
}
