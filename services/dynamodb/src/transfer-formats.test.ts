import assert from 'node:assert/strict';
import { test } from 'node:test';
import { csvItems, ionLine, parseCsv, parseDynamoJsonLine } from './transfer-formats.js';

test('CSV fields may be quoted, hold delimiters, doubled quotes and line breaks, with CRLF rows', () => {
  assert.deepEqual(parseCsv('a,b\r\n"x, y","say ""hi"""\r\n"two\nlines",\n'), [
    ['a', 'b'],
    ['x, y', 'say "hi"'],
    ['two\nlines', ''],
  ]);
  assert.deepEqual(parseCsv('a|b\n1|2', '|'), [
    ['a', 'b'],
    ['1', '2'],
  ]);
  assert.deepEqual(parseCsv('\n\na\n\n'), [['a']]);
});

test('CSV values are strings except the attributes the table types, and empty values are left out', () => {
  const { items, errors } = csvItems(parseCsv('id,n,name\n1,2,\nnot-a-number,3,x\n'), undefined, { id: 'N' });
  assert.deepEqual(items, [{ id: { N: '1' }, n: { S: '2' } }]);
  assert.equal(errors, 1);
  assert.deepEqual(csvItems([['7', 'z']], ['id', 'name'], { id: 'N' }).items, [{ id: { N: '7' }, name: { S: 'z' } }]);
});

test('Ion lines carry sets as annotated lists, numbers as decimals, binaries as blobs and quote odd field names', () => {
  const line = ionLine({
    id: { N: '1.5e3' },
    'odd-name': { S: 'a"b' },
    null: { NULL: true },
    ns: { NS: ['1', '2'] },
    bs: { BS: [Buffer.from('hi')] },
    l: { L: [{ BOOL: false }, { M: { k: { B: Buffer.from([255]) } } }] },
  });
  assert.equal(line, `$ion_1_0 {Item:{id:1.5d3,'odd-name':"a\\"b",'null':null,ns:$dynamodb_NS::[1,2],bs:$dynamodb_BS::[{{aGk=}}],l:[false,{k:{{/w==}}}]}}`);
});

test('a DynamoDB JSON line is validated into an item, and a line without an Item is refused', () => {
  assert.deepEqual(parseDynamoJsonLine('{"Item":{"pk":{"S":"a"},"b":{"B":"AQI="},"n":{"N":"007"}}}'), { pk: { S: 'a' }, b: { B: Buffer.from([1, 2]) }, n: { N: '7' } });
  assert.throws(() => parseDynamoJsonLine('{"pk":{"S":"a"}}'), /no Item/);
  assert.throws(() => parseDynamoJsonLine('{"Item":{"pk":{"S":"a","N":"1"}}}'));
  assert.throws(() => parseDynamoJsonLine('not json'), /Invalid JSON/);
});
