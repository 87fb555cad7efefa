// The platform the registry bench measures, as its own process: IAM, STS and ECR, permissive auth.
// Prints `ENDPOINT <url>` once listening; stops on SIGTERM. Args: <dataDir> [logLevel]
import { startPlatform } from '@atoll/test-support';
import { createEcrService } from '@atoll/ecr';

const p = await startPlatform({
  services: ['iam', 'sts'],
  extraProviders: [createEcrService],
  config: { authMode: 'permissive', logLevel: process.argv[3] ?? 'silent', dataDir: process.argv[2] },
});
console.log('ENDPOINT ' + p.endpoint);
process.on('SIGTERM', async () => {
  await p.stop();
  process.exit(0);
});
