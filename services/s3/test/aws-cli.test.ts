// The AWS CLI against Atoll's S3: make a bucket, multipart-upload a file with `aws s3 cp`, list
// it, download it (ranged GETs), remove it. Skipped, with the reason, when `aws` is not installed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPlatform, type TestPlatform } from '@atoll/test-support';

const hasAws = spawnSync('aws', ['--version'], { stdio: 'ignore' }).status === 0;
const skip = hasAws ? false : 'the AWS CLI (`aws`) is not installed';

let p: TestPlatform;
let work: string;
before(async () => {
  if (!hasAws) return;
  p = await startPlatform({ services: ['s3'] });
  work = mkdtempSync(join(tmpdir(), 'atoll-s3-cli-'));
});
after(async () => {
  if (!hasAws) return;
  await p.stop();
  rmSync(work, { recursive: true, force: true });
});

/** Runs `aws` asynchronously (the platform runs in this process, so a blocking call would deadlock). */
function aws(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = {
    ...process.env,
    AWS_ACCESS_KEY_ID: p.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: p.credentials.secretAccessKey,
    AWS_DEFAULT_REGION: p.region,
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  };
  return new Promise((resolve) =>
    execFile('aws', ['--endpoint-url', p.endpoint, ...args], { env }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

test('aws s3 mb, cp (multipart), ls, cp back, rm and rb work unchanged', { skip }, async () => {
  const file = join(work, 'upload.bin');
  const data = randomBytes(20 * 1024 * 1024);
  writeFileSync(file, data);
  assert.equal((await aws('s3', 'mb', 's3://cli-bucket')).code, 0);
  const up = await aws('s3', 'cp', '--only-show-errors', file, 's3://cli-bucket/dir/upload.bin');
  assert.equal(up.code, 0, up.stderr);
  const ls = await aws('s3', 'ls', '--recursive', 's3://cli-bucket/');
  assert.match(ls.stdout, /20971520 dir\/upload\.bin/);
  const back = join(work, 'back.bin');
  const down = await aws('s3', 'cp', '--only-show-errors', 's3://cli-bucket/dir/upload.bin', back);
  assert.equal(down.code, 0, down.stderr);
  assert.ok(readFileSync(back).equals(data));
  assert.equal((await aws('s3', 'rm', '--only-show-errors', '--recursive', 's3://cli-bucket/')).code, 0);
  assert.equal((await aws('s3', 'rb', 's3://cli-bucket')).code, 0);
  const missing = await aws('s3api', 'head-bucket', '--bucket', 'cli-bucket');
  assert.notEqual(missing.code, 0);
});
