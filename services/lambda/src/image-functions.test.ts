import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import AdmZip from 'adm-zip';
import { checkImageConfig, imageState, launcherPackage, parseImageUri } from './image-functions.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;

describe('image functions', () => {
  it('parses the platform and AWS forms of an ECR image URI', () => {
    assert.deepEqual(parseImageUri('123456789012.dkr.ecr.us-east-1.localhost:4566/team/app:v1'), {
      host: '123456789012.dkr.ecr.us-east-1.localhost:4566',
      registryId: '123456789012',
      region: 'us-east-1',
      repository: 'team/app',
      tag: 'v1',
    });
    assert.equal(parseImageUri(`123456789012.dkr.ecr.eu-west-1.amazonaws.com/app@${DIGEST}`)?.digest, DIGEST);
    for (const bad of ['app:v1', '123456789012.dkr.ecr.us-east-1.localhost:4566/app', '123456789012.dkr.ecr.us-east-1.example.com/app:v1', '12345.dkr.ecr.us-east-1.localhost/app:v1', '123456789012.dkr.ecr.us-east-1.localhost/App:v1']) {
      assert.equal(parseImageUri(bad), undefined, bad);
    }
  });

  it('keeps only the ImageConfig members given and refuses non-string lists', () => {
    assert.deepEqual(checkImageConfig({ Command: ['h'] }), { Command: ['h'] });
    assert.equal(checkImageConfig(undefined), undefined);
    assert.throws(() => checkImageConfig({ EntryPoint: [1] }), { name: 'InvalidParameterValueException' });
  });

  it('marks a function Failed with InvalidImage when no engine answers', () => {
    assert.deepEqual(imageState('docker'), { State: 'Active' });
    assert.equal(imageState(null).State, 'Failed');
    assert.equal(imageState(null).StateReasonCode, 'InvalidImage');
  });

  it('generates a launcher that runs the image with entry point, command and working directory', () => {
    const zip = new AdmZip(launcherPackage('docker', `h:1/app@${DIGEST}`, { EntryPoint: ['/entry.sh', "it's"], Command: ['app.handler'], WorkingDirectory: '/var/task' }));
    const script = zip.readAsText('bootstrap');
    assert.match(script, /exec docker run --rm -i --network host .* -w '\/var\/task' --entrypoint '\/entry\.sh' 'h:1\/app@sha256:a+' 'it'\\''s' 'app\.handler'$/m);
    assert.equal(spawnSync('sh', ['-n', '-c', script]).status, 0);
  });
});
