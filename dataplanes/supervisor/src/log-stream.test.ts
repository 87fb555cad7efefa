import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LineSplitter, LogStreamWriter, readLogStream } from './log-stream.js';

describe('log streams', () => {
  test('keeps events with their timestamps and reads them back in order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'atoll-log-'));
    const writer = new LogStreamWriter(join(dir, 'group', 'stream.log'));
    writer.sink({ timestamp: 1, message: 'a', stream: 'stdout' });
    writer.sink({ timestamp: 2, message: 'b', stream: 'stderr' });
    await writer.close();
    assert.deepEqual(readLogStream(writer.file).map((e) => [e.timestamp, e.message, e.stream]), [
      [1, 'a', 'stdout'],
      [2, 'b', 'stderr'],
    ]);
    rmSync(dir, { recursive: true, force: true });
  });

  test('splits chunks into lines across chunk boundaries', () => {
    const lines: string[] = [];
    const splitter = new LineSplitter((l) => lines.push(l));
    splitter.push('he');
    splitter.push('llo\r\nwor');
    splitter.push('ld\n');
    splitter.push('last');
    splitter.flush();
    assert.deepEqual(lines, ['hello', 'world', 'last']);
  });
});
