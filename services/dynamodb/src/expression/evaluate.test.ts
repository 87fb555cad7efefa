import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { AttributeValue, Item } from '../attribute-value.js';
import { applyUpdate, evaluateCondition, project } from './evaluate.js';
import { compileCondition, compileProjection, compileUpdate, newContext } from './resolve.js';

const item: Item = {
  id: { S: 'k' },
  n: { N: '5' },
  s: { S: 'hello' },
  tags: { SS: ['a', 'b'] },
  nums: { L: [{ N: '1' }, { N: '2' }, { N: '3' }] },
  doc: { M: { inside: { S: 'x' }, deep: { M: { v: { N: '7' } } } } },
};

function check(expr: string, values: Record<string, AttributeValue> = {}): boolean {
  return evaluateCondition(compileCondition(expr, 'ConditionExpression', newContext(undefined, Object.keys(values).length ? values : undefined)), item);
}

function update(expr: string, values: Record<string, AttributeValue> = {}, base = item): Item {
  return applyUpdate(compileUpdate(expr, newContext(undefined, Object.keys(values).length ? values : undefined)), base);
}

describe('condition evaluation', () => {
  test('compares numbers by value and strings by bytes', () => {
    assert.equal(check('n > :v', { ':v': { N: '4.99' } }), true);
    assert.equal(check('n = :v', { ':v': { N: '5.0' } }), true);
    assert.equal(check('s < :v', { ':v': { S: 'help' } }), true);
    assert.equal(check('n = :v', { ':v': { S: '5' } }), false);
    assert.equal(check('n <> :v', { ':v': { S: '5' } }), true);
  });

  test('evaluates functions', () => {
    assert.equal(check('attribute_exists(doc.deep.v)'), true);
    assert.equal(check('attribute_not_exists(doc.nope)'), true);
    assert.equal(check('begins_with(s, :p)', { ':p': { S: 'he' } }), true);
    assert.equal(check('contains(tags, :t)', { ':t': { S: 'b' } }), true);
    assert.equal(check('contains(s, :t)', { ':t': { S: 'ell' } }), true);
    assert.equal(check('size(nums) = :three', { ':three': { N: '3' } }), true);
    assert.equal(check('attribute_type(tags, :t)', { ':t': { S: 'SS' } }), true);
  });

  test('evaluates BETWEEN, IN and boolean operators', () => {
    assert.equal(check('n BETWEEN :a AND :b', { ':a': { N: '1' }, ':b': { N: '5' } }), true);
    assert.equal(check('n IN (:a, :b)', { ':a': { N: '1' }, ':b': { N: '5' } }), true);
    assert.equal(check('NOT n = :a OR s = :b', { ':a': { N: '5' }, ':b': { S: 'no' } }), false);
    assert.equal(check('nums[1] = :two AND doc.deep.v = :seven', { ':two': { N: '2' }, ':seven': { N: '7' } }), true);
  });
});

describe('update application', () => {
  test('SET with arithmetic, if_not_exists and list_append reads the original item', () => {
    const out = update('SET n = n + :one, m = if_not_exists(m, :zero), nums = list_append(nums, :more), dup = n', {
      ':one': { N: '1' },
      ':zero': { N: '0' },
      ':more': { L: [{ N: '4' }] },
    });
    assert.deepEqual(out.n, { N: '6' });
    assert.deepEqual(out.m, { N: '0' });
    assert.equal((out.nums as { L: unknown[] }).L.length, 4);
    assert.deepEqual(out.dup, { N: '5' });
  });

  test('REMOVE nums elements by their original indexes', () => {
    const out = update('REMOVE nums[0], nums[2]');
    assert.deepEqual(out.nums, { L: [{ N: '2' }] });
  });

  test('ADD and DELETE on numbers and sets', () => {
    const out = update('ADD n :two, more :c DELETE tags :a', { ':two': { N: '2' }, ':c': { SS: ['c'] }, ':a': { SS: ['a'] } });
    assert.deepEqual(out.n, { N: '7' });
    assert.deepEqual(out.tags, { SS: ['b'] });
    assert.deepEqual(out.more, { SS: ['c'] });
  });

  test('fails on missing operands and wrong types with DynamoDB messages', () => {
    assert.throws(() => update('SET x = nope + :one', { ':one': { N: '1' } }), {
      message: 'The provided expression refers to an attribute that does not exist in the item',
    });
    assert.throws(() => update('SET x = s + :one', { ':one': { N: '1' } }), { message: 'An operand in the update expression has an incorrect data type' });
    assert.throws(() => update('SET nope.deeper = :one', { ':one': { N: '1' } }), {
      message: 'The document path provided in the update expression is invalid for update',
    });
  });

  test('does not change the original item', () => {
    update('SET doc.inside = :v', { ':v': { S: 'changed' } });
    assert.deepEqual((item.doc as { M: Item }).M.inside, { S: 'x' });
  });
});

describe('projection', () => {
  test('keeps only the requested paths and compacts nums elements', () => {
    const out = project(item, compileProjection('s, nums[2], nums[0], doc.deep', newContext()));
    assert.deepEqual(out, { s: { S: 'hello' }, nums: { L: [{ N: '1' }, { N: '3' }] }, doc: { M: { deep: { M: { v: { N: '7' } } } } } });
  });
});
