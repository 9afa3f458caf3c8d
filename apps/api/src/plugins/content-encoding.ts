import type { FastifyRequest } from 'fastify';
import { UnsupportedMediaTypeError } from '@flash-sale/errors';

/**
 * The refusal of a body sent with a Content-Encoding (gzip, say), for the JSON parsers to give
 * before parsing: bodies are not decoded, and JSON.parse of the compressed bytes would call the
 * body malformed. 415, as for any body that is not plain JSON. `identity`, an empty value and a
 * repeated `identity` are no encoding. Only the parsers ask, so a request whose body is never
 * read (a GET) is not refused for it.
 */
export function encodedBodyRefusal(request: FastifyRequest): UnsupportedMediaTypeError | undefined {
  const header = request.headers['content-encoding'];
  if (header === undefined) return undefined;
  const codings = header.split(',').map((coding) => coding.trim()).filter((coding) => coding !== '' && coding.toLowerCase() !== 'identity');
  return codings.length > 0 ? new UnsupportedMediaTypeError(request.headers['content-type'], codings.join(', ')) : undefined;
}
