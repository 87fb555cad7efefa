import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { addNumbers, compareNumbers, normalizeNumber, NumberError } from './number.js';

describe('DynamoDB numbers', () => {
  test('normalizes to plain notation without redundant zeros', () => {
    assert.equal(normalizeNumber('1.0'), '1');
    assert.equal(normalizeNumber('001.2300'), '1.23');
    assert.equal(normalizeNumber('1e3'), '1000');
    assert.equal(normalizeNumber('-1.5E-3'), '-0.0015');
    assert.equal(normalizeNumber('-0'), '0');
    assert.equal(normalizeNumber('.5'), '0.5');
    assert.equal(normalizeNumber('+7'), '7');
  });

  test('keeps 38 significant digits exactly', () => {
    const n = '12345678901234567890123456789012345678';
    assert.equal(normalizeNumber(n), n);
    assert.equal(normalizeNumber('0.' + n), '0.' + n);
  });

  test('rejects more than 38 significant digits with DynamoDB message', () => {
    assert.throws(() => normalizeNumber('123456789012345678901234567890123456789'), {
      message: 'Attempting to store more than 38 significant digits in a Number',
    });
  });

  test('rejects magnitudes out of range', () => {
    assert.throws(() => normalizeNumber('1e126'), { message: 'Number overflow. Attempting to store a number with magnitude larger than supported range' });
    assert.throws(() => normalizeNumber('1e-131'), { message: 'Number underflow. Attempting to store a number with magnitude smaller than supported range' });
    assert.equal(normalizeNumber('9.9999999999999999999999999999999999999e125').length, 126);
    assert.equal(normalizeNumber('1e-130'), '0.' + '0'.repeat(129) + '1');
  });

  test('rejects text that is not a number', () => {
    assert.throws(() => normalizeNumber('abc'), (e: unknown) => e instanceof NumberError && e.message === 'The parameter cannot be converted to a numeric value: abc');
    assert.throws(() => normalizeNumber(''), { message: 'The parameter cannot be converted to a numeric value' });
    assert.throws(() => normalizeNumber('1..2'), NumberError);
  });

  test('compares by numeric value', () => {
    assert.equal(compareNumbers('10', '9'), 1);
    assert.equal(compareNumbers('-10', '-9'), -1);
    assert.equal(compareNumbers('0.001', '0.01'), -1);
    assert.equal(compareNumbers('1.0', '1'), 0);
    assert.equal(compareNumbers('-1', '0'), -1);
  });

  test('adds and subtracts exactly, without floating point error', () => {
    assert.equal(addNumbers('0.1', '0.2'), '0.3');
    assert.equal(addNumbers('1', '1', true), '0');
    assert.equal(addNumbers('99999999999999999999999999999999999999', '1', true), '99999999999999999999999999999999999998');
    assert.equal(addNumbers('-5', '2.5'), '-2.5');
    assert.throws(() => addNumbers('99999999999999999999999999999999999999', '0.1'), {
      message: 'Attempting to store more than 38 significant digits in a Number',
    });
  });
});
