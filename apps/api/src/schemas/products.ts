import { Type } from '@sinclair/typebox';
import { Id, Money } from './common.ts';

export const Product = Type.Object({
  id: Id,
  code: Type.String(),
  name: Type.String(),
  price: Money,
  total_stock: Type.Integer(),
  available_stock: Type.Integer(),
});

export const ProductListQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
});

export const ProductPage = Type.Object({
  items: Type.Array(Product),
  next_cursor: Type.Union([Type.String(), Type.Null()]),
});
