import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareSpecificity, compileTemplate, matchTemplate, splitPath } from './path-template.js';

test('a template matches literal segments, one-segment variables and a greedy rest', () => {
  assert.deepEqual(matchTemplate(compileTemplate('/items/{id}'), splitPath('/items/42')), { id: '42' });
  assert.equal(matchTemplate(compileTemplate('/items/{id}'), splitPath('/items/42/x')), undefined);
  assert.equal(matchTemplate(compileTemplate('/items/{id}'), splitPath('/items')), undefined);
  assert.deepEqual(matchTemplate(compileTemplate('/{proxy+}'), splitPath('/a/b%20c')), { proxy: 'a/b c' });
  assert.equal(matchTemplate(compileTemplate('/{proxy+}'), splitPath('/')), undefined, 'a greedy variable takes one segment at least');
  assert.deepEqual(matchTemplate(compileTemplate('/'), splitPath('/')), {});
  assert.deepEqual(splitPath('/a/'), ['a']);
});

test('literal segments are more specific than variables, variables than a greedy variable', () => {
  const literal = compileTemplate('/items/special');
  const variable = compileTemplate('/items/{id}');
  const greedy = compileTemplate('/items/{proxy+}');
  assert.ok(compareSpecificity(literal, variable) > 0);
  assert.ok(compareSpecificity(variable, greedy) > 0);
  assert.ok(compareSpecificity(compileTemplate('/{a}/x'), compileTemplate('/{a}/{b}')) > 0);
  assert.equal(compareSpecificity(variable, compileTemplate('/items/{other}')), 0);
});
