/**
 * Schema validation for every request. Bodies are validated strictly (a number is not a string);
 * query strings are coerced, since everything in a URL arrives as text.
 */
import { Ajv, type Options } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

// ajv-formats is CommonJS; under NodeNext its default import is the module object.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

// 'all': fields a schema does not name are dropped before the handler sees them, so a body can never
// set anything the route did not ask for. (true would only act on additionalProperties: false, which
// TypeBox objects do not set.)
const common: Options = { allErrors: false, removeAdditional: 'all', useDefaults: true, strict: false };

function makeAjv(options: Options): Ajv {
  const ajv = new Ajv({ ...common, ...options });
  addFormats(ajv);
  return ajv;
}

export function validatorCompiler(): FastifySchemaCompiler<unknown> {
  const strict = makeAjv({ coerceTypes: false });
  const coercing = makeAjv({ coerceTypes: true });
  return ({ schema, httpPart }) => {
    const ajv = httpPart === 'body' ? strict : coercing;
    return ajv.compile(schema as object);
  };
}
