// SelectObjectContent over a generated CSV object (100 MB by default): MB/s scanned for a filter
// with little output (COUNT with a CAST comparison), a filter with projected rows (about a fifth of
// the rows), and SELECT * LIMIT-free output of every row; with a plain GetObject of the same object
// in the same run as the baseline (what reading the bytes alone costs). The platform runs in this
// process (startPlatform): the SDK's event-stream decoding shares the CPU with the server.
// Usage: node tools/build.mjs services/s3 && node bench/s3-select/select-csv.mjs [--mb N] [--rounds N]
import { createWriteStream, mkdtempSync, rmSync, statSync, createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client, SelectObjectContentCommand } from '@aws-sdk/client-s3';
import { startPlatform } from '@atoll/test-support';
import { machine, median } from '../lib/report.mjs';

const option = (name, fallback) => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : fallback);
const TARGET = option('--mb', 100) * 1e6;
const ROUNDS = option('--rounds', 3);

const dir = mkdtempSync(join(tmpdir(), 'atoll-select-bench-'));
const file = join(dir, 'data.csv');
{
  // Deterministic rows: id,name,city,amount,timestamp.
  const cities = ['Paris', 'Lyon', 'Oslo', 'Lima', 'Cairo'];
  const out = createWriteStream(file);
  out.write('id,name,city,amount,created\n');
  let written = 0;
  let id = 0;
  while (written < TARGET) {
    const lines = [];
    for (let i = 0; i < 10_000; i++, id++) {
      lines.push(`${id},user-${(id * 7919) % 100_000},${cities[id % 5]},${((id * 37) % 100_000) / 100},2026-01-${String((id % 28) + 1).padStart(2, '0')}T10:00:00Z\n`);
    }
    const chunk = lines.join('');
    written += Buffer.byteLength(chunk);
    if (!out.write(chunk)) await new Promise((resolve) => out.once('drain', resolve));
  }
  await new Promise((resolve) => out.end(resolve));
}
const size = statSync(file).size;

const p = await startPlatform({ services: ['s3'] });
const s3 = p.client(S3Client, { forcePathStyle: true });
const sink = () => new Writable({ write: (_c, _e, done) => done() });

async function timed(fn) {
  const started = performance.now();
  const extra = await fn();
  return { seconds: (performance.now() - started) / 1000, extra };
}

async function select(expression) {
  const out = await s3.send(
    new SelectObjectContentCommand({
      Bucket: 'bench',
      Key: 'data.csv',
      ExpressionType: 'SQL',
      Expression: expression,
      InputSerialization: { CSV: { FileHeaderInfo: 'USE' } },
      OutputSerialization: { CSV: {} },
    }),
  );
  let returned = 0;
  for await (const event of out.Payload) if (event.Records) returned += event.Records.Payload.length;
  return returned;
}

try {
  await s3.send(new CreateBucketCommand({ Bucket: 'bench' }));
  await s3.send(new PutObjectCommand({ Bucket: 'bench', Key: 'data.csv', Body: createReadStream(file), ContentLength: size }));
  console.log(`S3 Select over CSV — ${machine()}`);
  console.log(`object: ${(size / 1e6).toFixed(1)} MB CSV, ${ROUNDS} rounds, medians`);
  const queries = [
    ['GetObject (baseline, bytes only)', null],
    ['COUNT(*) WHERE CAST(amount AS FLOAT) > 500', 'SELECT COUNT(*) FROM S3Object WHERE CAST(amount AS FLOAT) > 500'],
    ["id, name WHERE city = 'Paris'", "SELECT s.id, s.name FROM S3Object s WHERE s.city = 'Paris'"],
    ['SELECT * (every row out)', 'SELECT * FROM S3Object'],
  ];
  for (const [label, sql] of queries) {
    const runs = [];
    let returned = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const r = await timed(async () => {
        if (sql === null) {
          const got = await s3.send(new GetObjectCommand({ Bucket: 'bench', Key: 'data.csv' }));
          await pipeline(got.Body, sink());
          return size;
        }
        return select(sql);
      });
      runs.push(size / 1e6 / r.seconds);
      returned = r.extra;
    }
    console.log(`${label.padEnd(45)} ${median(runs).toFixed(1).padStart(7)} MB/s scanned  (${(returned / 1e6).toFixed(1)} MB returned)`);
  }
} finally {
  s3.destroy();
  await p.stop();
  rmSync(dir, { recursive: true, force: true });
}
