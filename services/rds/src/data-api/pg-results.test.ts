import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { columnMetadata, parsePgArray, toField, toValue } from './pg-results.js';

describe('PostgreSQL results in Data API shapes', () => {
  it('parses array text with quotes, escapes, NULL and nesting', () => {
    assert.deepEqual(parsePgArray('{1,NULL,3}'), ['1', null, '3']);
    assert.deepEqual(parsePgArray('{"a b","c\\"d",e}'), ['a b', 'c"d', 'e']);
    assert.deepEqual(parsePgArray('{{1,2},{3,4}}'), [['1', '2'], ['3', '4']]);
  });

  it('maps int8 to longValue, or stringValue when longReturnType is STRING', () => {
    assert.deepEqual(toField({ name: 'n', dataTypeID: 20 }, '42'), { longValue: 42 });
    assert.deepEqual(toField({ name: 'n', dataTypeID: 20 }, '42', { longReturnType: 'STRING' }), { stringValue: '42' });
  });

  it('maps numeric to a string, or a long or double with DOUBLE_OR_LONG', () => {
    assert.deepEqual(toField({ name: 'n', dataTypeID: 1700 }, '1.50'), { stringValue: '1.50' });
    assert.deepEqual(toField({ name: 'n', dataTypeID: 1700 }, '7', { decimalReturnType: 'DOUBLE_OR_LONG' }), { longValue: 7 });
    assert.deepEqual(toField({ name: 'n', dataTypeID: 1700 }, '1.5', { decimalReturnType: 'DOUBLE_OR_LONG' }), { doubleValue: 1.5 });
  });

  it('maps arrays, bytea and booleans', () => {
    assert.deepEqual(toField({ name: 'a', dataTypeID: 1007 }, '{1,2}'), { arrayValue: { longValues: [1, 2] } });
    assert.deepEqual(toField({ name: 'b', dataTypeID: 17 }, '\\x00ff'), { blobValue: Buffer.from([0, 255]) });
    assert.deepEqual(toValue({ name: 'b', dataTypeID: 16 }, 'f'), { bitValue: false });
    assert.deepEqual(toValue({ name: 'i', dataTypeID: 23 }, '5'), { intValue: 5 });
  });

  it('reads precision and scale of numeric(10,2) from the type modifier', () => {
    const meta = columnMetadata({ name: 'price', dataTypeID: 1700, dataTypeModifier: ((10 << 16) | 2) + 4 });
    assert.equal(meta.precision, 10);
    assert.equal(meta.scale, 2);
    assert.equal(meta.typeName, 'numeric');
  });
});
