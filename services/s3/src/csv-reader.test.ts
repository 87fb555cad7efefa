// The CSV splitter behind S3 Select: quoting, escapes, delimiters, CRLF, comments, and records cut
// at any chunk boundary.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CsvReader, type CsvReaderOptions } from './csv-reader.js';

function read(text: string, options: CsvReaderOptions = {}, chunkSize = text.length || 1): string[][] {
  const out: string[][] = [];
  const reader = new CsvReader((fields) => out.push(fields), options);
  const data = Buffer.from(text);
  for (let i = 0; i < data.length; i += chunkSize) reader.push(data.subarray(i, i + chunkSize));
  reader.end();
  return out;
}

describe('CsvReader', () => {
  const sample = 'a,b,c\n1,"x, y",3\n"he said ""hi""",,\r\nlast,é,z';
  const expected = [['a', 'b', 'c'], ['1', 'x, y', '3'], ['he said "hi"', '', ''], ['last', 'é', 'z']];

  it('splits quoted fields, doubled quotes, empty fields, CRLF and a last line without delimiter', () => {
    assert.deepEqual(read(sample), expected);
  });

  it('gives the same records whatever the chunk boundaries (multi-byte characters included)', () => {
    for (let size = 1; size <= 7; size++) assert.deepEqual(read(sample, {}, size), expected, `chunks of ${size}`);
  });

  it('honours custom delimiters, a separate escape character and comment lines', () => {
    assert.deepEqual(read("#note;a|'b\\'c'|d;e|f;", { fieldDelimiter: '|', recordDelimiter: ';', quote: "'", escape: '\\', comment: '#' }), [
      ['a', "b'c", 'd'],
      ['e', 'f'],
    ]);
    assert.deepEqual(read('#skip me\nx,y\n\n#and me\nz\n', { comment: '#' }, 3), [['x', 'y'], ['z']]);
  });

  it('keeps a quoted record delimiter inside the field', () => {
    assert.deepEqual(read('"multi\nline",2\n', {}, 4), [['multi\nline', '2']]);
  });
});
