import type { FastifyInstance, FastifyRequest } from 'fastify';
import { UnsupportedMediaTypeError, ValidationFailedError } from '@flash-sale/errors';

type ParseDone = (error: Error | null, parsed?: unknown) => void;

/**
 * The JSON body parser both of the api's JSON parsers run (app.ts; the webhook's keeps the raw
 * bytes too, payments.routes.ts): Fastify's own, refusing prototype poisoning, with two answers
 * of ours before and after it.
 *
 * Before: a body sent with a Content-Encoding (gzip, say) is refused with 415, as any body that
 * is not plain JSON: bodies are not decoded, and parsing the compressed bytes would call the body
 * malformed. `identity`, an empty value and a repeated `identity` are no encoding. Only the
 * parsers ask, so a request whose body is never read (a GET) is not refused for it.
 *
 * After: Fastify reports a `__proto__` or `constructor.prototype` key as invalid JSON; but the
 * body is valid JSON with a field no request takes, which the contract calls validation_failed
 * (unknown fields included), so that refusal is told apart by parsing the body plainly (on the
 * error path only). `rejectUnparsable` may answer a body that does not parse otherwise (the
 * webhook checks its signature first).
 */
export function createJsonBodyParser(
  app: FastifyInstance,
  options: { rejectUnparsable?: (request: FastifyRequest, parseError: Error) => Error } = {},
): (request: FastifyRequest, body: string, done: ParseDone) => void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  return (request, body, done) => {
    const encoded = encodedBodyRefusal(request);
    if (encoded) return done(encoded);
    parseJson(request, body, (error, parsed) => {
      if (!error) return done(null, parsed);
      const refusal = isPlainJson(body) ? forbiddenField() : error;
      done(options.rejectUnparsable ? options.rejectUnparsable(request, refusal) : refusal);
    });
  };
}

function encodedBodyRefusal(request: FastifyRequest): UnsupportedMediaTypeError | undefined {
  const header = request.headers['content-encoding'];
  if (header === undefined) return undefined;
  const codings = header.split(',').map((coding) => coding.trim()).filter((coding) => coding !== '' && coding.toLowerCase() !== 'identity');
  return codings.length > 0 ? new UnsupportedMediaTypeError(request.headers['content-type'], codings.join(', ')) : undefined;
}

function isPlainJson(body: string): boolean {
  try {
    JSON.parse(body);
    return true;
  } catch {
    return false;
  }
}

const forbiddenField = () =>
  new ValidationFailedError('Invalid body: __proto__ or constructor.prototype.', {
    fields: [{ in: 'body', field: '__proto__', message: 'no request takes a __proto__ or constructor.prototype field' }],
  });
