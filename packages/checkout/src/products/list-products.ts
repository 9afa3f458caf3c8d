import { ValidationFailedError } from '@flash-sale/errors';
import type { CheckoutDeps } from '../deps.ts';
import { toProductSnapshot, type ProductSnapshot } from './product-snapshot.ts';

export interface ProductPage {
  items: ProductSnapshot[];
  nextCursor: string | null;
}

// The cursor is opaque to clients; inside it is the last id of the previous page.
const CURSOR_PREFIX = 'p1:';

export function encodeProductCursor(lastId: number): string {
  return Buffer.from(`${CURSOR_PREFIX}${lastId}`).toString('base64url');
}

/**
 * The id inside a cursor this API issued. Only one that encodes back to itself is: base64url
 * decoding skips what it cannot read, and `Number('')` is 0, so `p1:` or a cursor with junk
 * appended would otherwise pass for a first page.
 */
function decodeProductCursor(cursor: string): number {
  const id = Number(Buffer.from(cursor, 'base64url').toString().slice(CURSOR_PREFIX.length));
  if (!Number.isSafeInteger(id) || id < 1 || id > 2_147_483_647 || encodeProductCursor(id) !== cursor) {
    throw new ValidationFailedError('The cursor is not one this API issued.', {
      fields: [{ in: 'querystring', field: 'cursor', message: 'unrecognised cursor' }],
    });
  }
  return id;
}

/**
 * One page of products in id order: a single indexed range query per page, whatever the limit.
 * Read straight from MySQL, so the list is never stale either.
 */
export async function listProducts(deps: Pick<CheckoutDeps, 'db'>, query: { limit: number; cursor?: string | undefined }): Promise<ProductPage> {
  const afterId = query.cursor ? decodeProductCursor(query.cursor) : 0;
  const rows = await deps.db.product.findMany({
    where: { id: { gt: afterId } },
    orderBy: { id: 'asc' },
    take: query.limit + 1,
  });
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    items: page.map(toProductSnapshot),
    nextCursor: rows.length > query.limit && last ? encodeProductCursor(last.id) : null,
  };
}
