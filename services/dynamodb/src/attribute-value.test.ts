import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { deserializeItem, itemSize, serializeItem, validateValue, valuesEqual } from './attribute-value.js';

describe('attribute values', () => {
  test('rejects an empty AttributeValue with DynamoDB message', () => {
    assert.throws(() => validateValue({} as never), { message: 'Supplied AttributeValue is empty, must contain exactly one of the supported datatypes' });
  });

  test('rejects an AttributeValue with two types', () => {
    assert.throws(() => validateValue({ S: 'a', N: '1' } as never), {
      message: 'Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes',
    });
  });

  test('rejects empty sets and duplicates in sets', () => {
    assert.throws(() => validateValue({ SS: [] }), { message: 'One or more parameter values were invalid: An string set  may not be empty' });
    assert.throws(() => validateValue({ NS: [] }), { message: 'One or more parameter values were invalid: An number set  may not be empty' });
    assert.throws(() => validateValue({ SS: ['a', 'a'] }), { message: 'One or more parameter values were invalid: Input collection [a, a] contains duplicates.' });
    assert.throws(() => validateValue({ NS: ['1', '1.0'] }), { message: 'Input collection contains duplicates' });
    assert.throws(() => validateValue({ BS: [] }), { message: 'One or more parameter values were invalid: Binary sets should not be empty' });
    assert.throws(() => validateValue({ BS: [Buffer.from('b'), Buffer.from('b')] }), {
      message: 'One or more parameter values were invalid: Input collection [Yg==, Yg==]of type BS contains duplicates.',
    });
    assert.throws(() => validateValue({ NULL: false } as never), { message: 'One or more parameter values were invalid: Null attribute value types must have the value of true' });
  });

  test('allows empty strings outside keys and canonicalizes nested numbers', () => {
    assert.deepEqual(validateValue({ S: '' }), { S: '' });
    assert.deepEqual(validateValue({ M: { a: { L: [{ N: '1.50' }] } } }), { M: { a: { L: [{ N: '1.5' }] } } });
  });

  test('computes item size from names and values as DynamoDB documents it', () => {
    assert.equal(itemSize({ id: { S: 'abc' } }), 5);
    assert.equal(itemSize({ n: { N: '123' } }), 1 + 3);
    assert.equal(itemSize({ b: { BOOL: true }, z: { NULL: true } }), 4);
    assert.equal(itemSize({ m: { M: { k: { S: 'v' } } } }), 1 + 3 + 1 + 1 + 1);
    assert.equal(itemSize({ s: { S: 'é' } }), 3);
  });

  test('round-trips items with binaries through the storage form', () => {
    const item = { b: { B: Buffer.from([0, 255]) }, bs: { BS: [Buffer.from('x')] }, l: { L: [{ B: Buffer.from('y') }] } };
    const back = deserializeItem(serializeItem(item));
    assert.ok(valuesEqual(back.b, item.b));
    assert.ok(valuesEqual(back.bs, item.bs));
    assert.ok(valuesEqual(back.l, item.l));
  });

  test('compares sets regardless of order and numbers by value', () => {
    assert.ok(valuesEqual({ SS: ['a', 'b'] }, { SS: ['b', 'a'] }));
    assert.ok(valuesEqual({ N: '1.0' }, { N: '1' }));
    assert.ok(!valuesEqual({ S: '1' }, { N: '1' }));
  });
});
