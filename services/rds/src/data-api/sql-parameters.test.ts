import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ParameterError, fieldValue, toPositional } from './sql-parameters.js';

describe('toPositional', () => {
  it('numbers named parameters and reuses the position of a repeated name', () => {
    const out = toPositional('SELECT :a, :b, :a', [
      { name: 'a', value: { longValue: 1 } },
      { name: 'b', value: { stringValue: 'x' } },
    ]);
    assert.equal(out.text, 'SELECT $1, $2, $1');
    assert.deepEqual(out.values, [1, 'x']);
  });

  it('leaves casts, quoted text, identifiers, comments and dollar-quoted bodies alone', () => {
    const sql = `SELECT ':x', "a:b", 1::int, $$ :y $$, $f$ :z $f$ -- :c\n/* :d */ , :e`;
    const out = toPositional(sql, [{ name: 'e', value: { booleanValue: false } }]);
    assert.equal(out.text, `SELECT ':x', "a:b", 1::int, $$ :y $$, $f$ :z $f$ -- :c\n/* :d */ , $1`);
    assert.deepEqual(out.values, [false]);
  });

  it('adds the typeHint cast and refuses a hint on a non-string value', () => {
    assert.equal(toPositional('SELECT :d', [{ name: 'd', value: { stringValue: '2024-01-01' }, typeHint: 'DATE' }]).text, 'SELECT $1::date');
    assert.throws(() => toPositional('SELECT :d', [{ name: 'd', value: { longValue: 1 }, typeHint: 'DATE' }]), ParameterError);
  });

  it('refuses a placeholder without a parameter', () => {
    assert.throws(() => toPositional('SELECT :missing', []), /No value specified for parameter: missing/);
  });

  it('uses question marks for MySQL', () => {
    assert.equal(toPositional('SELECT :a, :a', [{ name: 'a', value: { longValue: 2 } }], 'mysql').text, 'SELECT ?, ?');
  });
});

describe('fieldValue', () => {
  it('refuses a Field with more than one member set', () => {
    assert.throws(() => fieldValue({ longValue: 1, stringValue: 'x' }, 'p'), ParameterError);
  });

  it('turns arrays and blobs into driver values', () => {
    assert.deepEqual(fieldValue({ arrayValue: { arrayValues: [{ longValues: [1, 2] }, { longValues: [3] }] } }, 'p'), [[1, 2], [3]]);
    assert.ok(Buffer.isBuffer(fieldValue({ blobValue: new Uint8Array([1]) }, 'p')));
    assert.equal(fieldValue({ isNull: true }, 'p'), null);
  });
});
