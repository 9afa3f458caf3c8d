/** Every operation of the API, as `METHOD /path` with OpenAPI's `{param}`: what /docs lists. */
export const apiOperations = [
  'GET /api/products',
  'GET /api/products/{id}',
  'POST /api/holds',
  'GET /api/holds/{id}',
  'DELETE /api/holds/{id}',
  'POST /api/orders',
  'GET /api/orders/{id}',
  'POST /api/payments/webhook',
  'GET /health/live',
  'GET /health/ready',
  'GET /metrics',
];
