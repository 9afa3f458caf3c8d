import type { FastifySchemaCompiler } from 'fastify';
import { Kind, type TObject, type TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { convertIntegerStrings } from '@flash-sale/config';

/**
 * Bodies are validated exactly as sent: JSON has numbers, so a qty of "2" is an error. Params,
 * query strings and headers arrive as strings, so their integers are converted first, strictly.
 */
export const strictValidatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const check = TypeCompiler.Compile(schema);
  const convert = httpPart !== 'body' && schema[Kind] === 'Object';
  return (input: unknown) => {
    const value = convert ? convertIntegerStrings(schema as TObject, input) : input;
    if (check.Check(value)) return { value };
    return { error: [...check.Errors(value)].map((error) => ({ message: error.message, instancePath: error.path })) as never };
  };
};
