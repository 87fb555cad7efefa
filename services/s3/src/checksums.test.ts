import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { checksumOf, createHasher } from './checksums.js';

const check = Buffer.from('123456789');

describe('checksums', () => {
  test('CRC32 of the check string is cbf43926', () => {
    assert.equal(Buffer.from(checksumOf('CRC32', check), 'base64').toString('hex'), 'cbf43926');
  });
  test('CRC32C of the check string is e3069283', () => {
    assert.equal(Buffer.from(checksumOf('CRC32C', check), 'base64').toString('hex'), 'e3069283');
  });
  test('CRC64NVME of the check string is ae8b14860a799888', () => {
    assert.equal(Buffer.from(checksumOf('CRC64NVME', check), 'base64').toString('hex'), 'ae8b14860a799888');
  });
  test('incremental hashing over odd chunk sizes equals hashing the whole buffer', () => {
    const data = randomBytes(100_003);
    for (const algorithm of ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA256'] as const) {
      const h = createHasher(algorithm);
      for (let i = 0; i < data.length; i += 777) h.update(data.subarray(i, i + 777));
      assert.equal(h.digest().toString('base64'), checksumOf(algorithm, data), algorithm);
    }
  });
  test('the empty input has the standard CRC32C and CRC64NVME of zero bytes', () => {
    assert.equal(Buffer.from(checksumOf('CRC32C', Buffer.alloc(0)), 'base64').toString('hex'), '00000000');
    assert.equal(Buffer.from(checksumOf('CRC64NVME', Buffer.alloc(0)), 'base64').toString('hex'), '0000000000000000');
  });
});
