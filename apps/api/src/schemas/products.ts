import { Type } from '@sinclair/typebox';
import { ValidationFailedError } from '@flash-sale/errors';
import { Id, Money } from './common.ts';
import { documented } from './documented.ts';

const productExample = { id: 1, code: 'FLASH-001', name: 'Limited sneaker', price: '199.00', total_stock: 100, available_stock: 37 };

export const Product = documented(Type.Object(
  {
    id: Id,
    code: Type.String(),
    name: Type.String(),
    price: Money,
    total_stock: Type.Integer(),
    available_stock: Type.Integer({ description: 'total − active holds − pending or paid orders; never older than a change the caller could have seen.' }),
  },
  { description: 'A product with its live available stock.' },
), productExample);

export const ProductListQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
});

export const ProductPage = documented(Type.Object(
  {
    items: Type.Array(Product),
    next_cursor: Type.Union([Type.String(), Type.Null()], { description: 'Opaque; pass it back as ?cursor= for the next page. null on the last page.' }),
  },
  { description: 'A page of products, in id order.' },
), { items: [productExample], next_cursor: null });

/** The list's own validation_failed example: its fields are in the query string. */
export const invalidListQueryExample = {
  validation_failed: new ValidationFailedError('Invalid querystring: limit.', { fields: [{ in: 'querystring', field: 'limit', message: 'Expected integer to be less or equal to 100' }] }),
};
