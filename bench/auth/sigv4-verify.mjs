// What verifying one SigV4 request costs the edge, in this process (no I/O, so the machine's other
// load moves it little): `verifySigV4` on SDK-shaped DynamoDB GetItem requests (each with its own
// invocation id and signature, as an SDK sends them), beside the peer that does the same work from
// the other side: the SDK's own signer (@smithy/signature-v4 over node:crypto) signing the same
// request. --base DIR adds an earlier tree's verifier (its packages/auth must be built) for an A/B.
// Rounds alternate and medians are reported.
//   node bench/auth/sigv4-verify.mjs [--rounds 9] [--ops 50000] [--base DIR]
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { SignatureV4 } from '@smithy/signature-v4';
import { verifySigV4 } from '../../packages/auth/dist/src/index.js';
import { machine, median, printTable } from '../lib/report.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const ROUNDS = Number(arg('--rounds', 9));
const OPS = Number(arg('--ops', 50000));
const BASE = arg('--base');

/** The SDK's checksum interface over node:crypto (what @smithy/hash-node provides to SDK clients). */
class NodeSha256 {
  constructor(secret) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', secret);
  }
  update(data) {
    this.hash.update(typeof data === 'string' ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  }
  async digest() {
    return new Uint8Array(this.hash.digest());
  }
}

const credentials = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
const signer = new SignatureV4({ service: 'dynamodb', region: 'us-east-1', credentials, sha256: NodeSha256 });
const signingDate = new Date();
const unsigned = (i) => {
  const body = JSON.stringify({ TableName: 'bench', Key: { pk: { S: `k${i}` } } });
  return {
    method: 'POST',
    protocol: 'http:',
    hostname: '127.0.0.1',
    port: 4566,
    path: '/',
    headers: {
      host: '127.0.0.1:4566',
      'content-type': 'application/x-amz-json-1.0',
      'content-length': String(body.length),
      'x-amz-target': 'DynamoDB_20120810.GetItem',
      'amz-sdk-invocation-id': randomUUID(),
      'amz-sdk-request': 'attempt=1; max=3',
      'user-agent': 'aws-sdk-js/3.700.0 ua/2.1 os/linux#6.1 lang/js md/nodejs#20.20.2 api/dynamodb#3.700.0 m/E,D',
    },
    body,
  };
};
const requests = [];
for (let i = 0; i < 64; i++) {
  const signed = await signer.sign(unsigned(i), { signingDate });
  const headers = Object.fromEntries(Object.entries(signed.headers).map(([k, v]) => [k.toLowerCase(), v]));
  requests.push({ method: 'POST', path: '/', query: '', headers });
}

const found = { secretAccessKey: credentials.secretAccessKey, identity: { type: 'Root', accountId: '000000000000', arn: 'arn:aws:iam::000000000000:root', principalId: '000000000000' } };
const options = { lookupSecret: async () => found, dialect: 'json', service: 'dynamodb', now: signingDate };
const verifiers = [['atoll', verifySigV4]];
if (BASE) verifiers.push(['base', (await import(join(BASE, 'packages/auth/dist/src/index.js'))).verifySigV4]);

for (const [name, verify] of verifiers) {
  const result = await verify(requests[0], options);
  if (result.identity !== found.identity) throw new Error(`${name}: the request did not verify`);
}
const toSign = Array.from({ length: 64 }, (_, i) => unsigned(i));
const cases = [
  ...verifiers.map(([name, verify]) => [`${name}: verifySigV4`, (i) => verify(requests[i & 63], options)]),
  ['peer: SDK signer (sign)', (i) => signer.sign(toSign[i & 63], { signingDate })],
];
const microseconds = Object.fromEntries(cases.map(([name]) => [name, []]));
const measure = async (run, n) => {
  const start = process.cpuUsage();
  for (let i = 0; i < n; i++) await run(i);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / n;
};
for (const [, run] of cases) await measure(run, OPS / 5);
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 ? [...cases].reverse() : cases;
  for (const [name, run] of order) microseconds[name].push(await measure(run, OPS));
}
const atoll = median(microseconds['atoll: verifySigV4']);
printTable(
  `SigV4 verification, CPU µs per request (median of ${ROUNDS} rounds of ${OPS}) — ${machine()}`,
  cases.map(([name]) => [
    name,
    `${median(microseconds[name]).toFixed(2)}  (${(median(microseconds[name]) / atoll).toFixed(2)}× atoll)  [${microseconds[name].map((v) => v.toFixed(1)).join(', ')}]`,
  ]),
);
