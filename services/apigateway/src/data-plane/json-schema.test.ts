import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SchemaValidator } from './json-schema.js';

const PET = {
  type: 'object',
  required: ['name', 'price'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, pattern: '^[a-z]+$' },
    price: { type: 'number', minimum: 0, exclusiveMinimum: true },
    tags: { type: 'array', items: { type: 'string' }, maxItems: 2, uniqueItems: true },
    kind: { enum: ['dog', 'cat'] },
    owner: { $ref: '#/definitions/owner' },
  },
  definitions: { owner: { type: 'object', required: ['id'], properties: { id: { type: 'integer' } } } },
};

describe('JSON schema validation of request bodies', () => {
  const v = new SchemaValidator(new Map([['Id', { type: 'integer', minimum: 1 }]]));

  it('accepts a body that matches, with nested definitions', () => {
    assert.deepEqual(v.validate({ name: 'rex', price: 3.5, tags: ['a'], kind: 'dog', owner: { id: 4 } }, PET), []);
  });

  it('names missing required properties, wrong types, enums, bounds, patterns and extra properties', () => {
    assert.deepEqual(v.validate({ price: 1 }, PET), ['object has missing required properties (["name"])']);
    assert.match(v.validate({ name: 'rex', price: '1' }, PET)[0]!, /instance type \(string\) does not match any allowed primitive type \(allowed: \["number"\]\) \(at \/price\)/);
    assert.match(v.validate({ name: 'rex', price: 0 }, PET)[0]!, /lower than the required minimum/);
    assert.match(v.validate({ name: 'Rex', price: 1 }, PET)[0]!, /regex/);
    assert.match(v.validate({ name: 'rex', price: 1, kind: 'cow' }, PET)[0]!, /not found in enum/);
    assert.match(v.validate({ name: 'rex', price: 1, tags: ['a', 'a'] }, PET)[0]!, /duplicate/);
    assert.match(v.validate({ name: 'rex', price: 1, colour: 'red' }, PET)[0]!, /not allowed by the schema: \["colour"\]/);
    assert.match(v.validate({ name: 'rex', price: 1, owner: {} }, PET)[0]!, /missing required properties \(\["id"\]\) \(at \/owner\)/);
  });

  it('follows $ref to another model of the API, and anyOf/oneOf/not', () => {
    const ref = { $ref: 'https://apigateway.amazonaws.com/restapis/abc/models/Id' };
    assert.deepEqual(v.validate(3, ref), []);
    assert.equal(v.validate(0, ref).length, 1);
    assert.equal(v.validate(1.5, { anyOf: [{ type: 'string' }, { type: 'integer' }] }).length, 1);
    assert.equal(v.validate(2, { oneOf: [{ type: 'integer' }, { type: 'number' }] }).length, 1, 'an integer is also a number');
    assert.equal(v.validate('x', { not: { type: 'string' } }).length, 1);
  });
});
