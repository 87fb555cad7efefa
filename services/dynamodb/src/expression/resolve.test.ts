import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { AttributeValue } from '../attribute-value.js';
import { checkUnused, compileCondition, compileProjection, compileUpdate, newContext } from './resolve.js';

const ctx = (names?: Record<string, string>, values?: Record<string, AttributeValue>) => newContext(names, values);

describe('expression validation messages', () => {
  test('reports a syntax error with the offending token and its neighbourhood', () => {
    assert.throws(() => compileUpdate('SET x :v', ctx(undefined, { ':v': { S: 'a' } })), {
      message: 'Invalid UpdateExpression: Syntax error; token: ":v", near: "x :v"',
    });
    assert.throws(() => compileCondition('a =', 'ConditionExpression', ctx()), {
      message: 'Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "="',
    });
    assert.throws(() => compileProjection('my-attr', ctx()), /^Error: Invalid ProjectionExpression: Syntax error; token: "-", near: "my-attr"$|Invalid ProjectionExpression: Syntax error; token: "-"/);
  });

  test('rejects an empty expression', () => {
    assert.throws(() => compileCondition('  ', 'FilterExpression', ctx()), { message: 'Invalid FilterExpression: The expression can not be empty;' });
  });

  test('rejects reserved words used as attribute names', () => {
    assert.throws(() => compileCondition('name = :v', 'ConditionExpression', ctx(undefined, { ':v': { S: 'x' } })), {
      message: 'Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: name',
    });
    assert.throws(() => compileUpdate('SET Status = :v', ctx(undefined, { ':v': { S: 'x' } })), {
      message: 'Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: Status',
    });
  });

  test('rejects undefined placeholders', () => {
    assert.throws(() => compileCondition('#n = :v', 'ConditionExpression', ctx(undefined, { ':v': { S: 'x' } })), {
      message: 'Invalid ConditionExpression: An expression attribute name used in the document path is not defined; attribute name: #n',
    });
    assert.throws(() => compileCondition('a = :v', 'ConditionExpression', ctx()), {
      message: 'Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :v',
    });
  });

  test('reports unused names and values after all expressions were compiled', () => {
    const c = ctx({ '#a': 'a', '#b': 'b' }, { ':v': { S: 'x' }, ':w': { S: 'y' } });
    compileCondition('#a = :v', 'ConditionExpression', c);
    assert.throws(() => checkUnused(c), { message: 'Value provided in ExpressionAttributeNames unused in expressions: keys: {#b}' });
    const d = ctx(undefined, { ':v': { S: 'x' }, ':w': { S: 'y' } });
    compileCondition('a = :v', 'ConditionExpression', d);
    assert.throws(() => checkUnused(d), { message: 'Value provided in ExpressionAttributeValues unused in expressions: keys: {:w}' });
  });

  test('rejects overlapping and conflicting update paths', () => {
    const values = { ':v': { S: 'x' }, ':w': { S: 'y' } };
    assert.throws(() => compileUpdate('SET a = :v, a.b = :w', ctx(undefined, values)), {
      message: 'Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b]',
    });
    assert.throws(() => compileUpdate('SET a.b = :v, a[0] = :w', ctx(undefined, values)), {
      message: 'Invalid UpdateExpression: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, b], path two: [a, [0]]',
    });
  });

  test('rejects a section used twice and wrong ADD operand types', () => {
    assert.throws(() => compileUpdate('SET a = :v SET b = :v', ctx(undefined, { ':v': { S: 'x' } })), {
      message: 'Invalid UpdateExpression: The "SET" section can only be used once in an update expression;',
    });
    assert.throws(() => compileUpdate('ADD a :v', ctx(undefined, { ':v': { S: 'x' } })), {
      message: 'Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: STRING',
    });
  });

  test('checks functions: unknown names, operand counts and misuse', () => {
    assert.throws(() => compileCondition('foo(a)', 'ConditionExpression', ctx()), { message: 'Invalid ConditionExpression: Invalid function name; function: foo' });
    assert.throws(() => compileCondition('attribute_exists(a, b)', 'ConditionExpression', ctx()), {
      message: 'Invalid ConditionExpression: Incorrect number of operands for operator or function; operator or function: attribute_exists, number of operands: 2',
    });
    assert.throws(() => compileCondition('size(a)', 'ConditionExpression', ctx()), {
      message: 'Invalid ConditionExpression: The function is not allowed to be used this way in an expression; function: size',
    });
    assert.throws(() => compileCondition('attribute_type(a, :t)', 'ConditionExpression', ctx(undefined, { ':t': { S: 'X' } })), {
      message: 'Invalid ConditionExpression: Invalid attribute type name found; type: X, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}',
    });
  });

  test('reports update problems in DynamoDB order', () => {
    const values = { ':a': { S: 'a' }, ':b': { S: 'a' } };
    assert.throws(() => compileUpdate('set b = list_append(:a, a), c = if_not_exists(a) add a.b :a', ctx(undefined, values)), {
      message: 'Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: STRING',
    });
    assert.throws(() => compileUpdate(' set #c = :c set abOrt = true ', ctx({ '#c': 'c' }, { ':c': { S: 'x' } })), {
      message: 'Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: abOrt',
    });
    assert.throws(() => compileUpdate('set d[1] = a, d.b = a, c[1].a = a, #c = if_not_exists(a)', ctx({ '#c': 'c' })), {
      message: 'Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [c, [1], a], path two: [c]',
    });
    assert.throws(() => compileUpdate('remove a.#c set a[1] = #d', ctx({ '#c': 'c', '#d': '[3]' })), {
      message: 'Invalid UpdateExpression: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, c], path two: [a, [1]]',
    });
    assert.throws(() => compileUpdate('set a = :a + :c', ctx(undefined, { ':a': { S: 'a' }, ':c': { B: Buffer.from('a') } })), {
      message: 'Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: +, operand type: S',
    });
    for (const bad of ['whatever', 'set a', 'set a = b + c + d', 'set a = (b.c).d + e', 'SET a = if_not_exist(a, 100)', 'remove :a', 'set a[1] = "eight"']) {
      assert.throws(() => compileUpdate(bad, ctx()), /^Error: Invalid UpdateExpression: Syntax error; |Invalid UpdateExpression: Syntax error; /, bad);
    }
  });

  test('quotes the previous, offending and next tokens in a syntax error', () => {
    assert.throws(() => compileUpdate('SET MyStr = myNum Mystr2 myNum2', ctx()), {
      message: 'Invalid UpdateExpression: Syntax error; token: "Mystr2", near: "myNum Mystr2 myNum2"',
    });
    assert.throws(() => compileUpdate('SET MyStr = myNum + 1', ctx()), { message: 'Invalid UpdateExpression: Syntax error; token: "1", near: "+ 1"' });
    assert.throws(() => compileCondition('foo', 'ConditionExpression', ctx()), { message: 'Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "foo"' });
  });

  test('rejects redundant parentheses', () => {
    const values = { ':v': { S: 'x' } };
    assert.throws(() => compileCondition('((a = :v))', 'ConditionExpression', ctx(undefined, values)), {
      message: 'Invalid ConditionExpression: The expression has redundant parentheses;',
    });
    assert.throws(() => compileCondition('((a)) = :v', 'ConditionExpression', ctx(undefined, values)), /redundant parentheses/);
    assert.doesNotThrow(() => compileCondition('((a = :v) AND (b = :v))', 'ConditionExpression', ctx(undefined, values)));
  });

  test('checks BETWEEN bounds', () => {
    assert.throws(() => compileCondition('a BETWEEN :hi AND :lo', 'ConditionExpression', ctx(undefined, { ':lo': { N: '1' }, ':hi': { N: '5' } })), {
      message:
        'Invalid ConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {N:5}, upper bound operand: AttributeValue: {N:1}',
    });
  });

  test('parses NOT before AND before OR', () => {
    const cond = compileCondition('NOT a = :v AND b = :v OR c = :v', 'ConditionExpression', ctx(undefined, { ':v': { S: 'x' } }));
    assert.equal(cond.k, 'or');
    assert.equal((cond as { a: { k: string } }).a.k, 'and');
    assert.equal((cond as { a: { a: { k: string } } }).a.a.k, 'not');
  });

  test('accepts nested document paths, list indexes and parentheses', () => {
    const cond = compileCondition('(a.b[2].#c = :v) AND size(#c) > :n', 'ConditionExpression', ctx({ '#c': 'c' }, { ':v': { S: 'x' }, ':n': { N: '1' } }));
    assert.equal(cond.k, 'and');
  });
});
