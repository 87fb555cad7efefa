export { spawnPlatform, startPlatform } from './start-platform.js';
export type { Credentials, SpawnedPlatform, StartPlatformOptions, TestPlatform } from './start-platform.js';
export { signedFetch } from './signed-fetch.js';
export type { RawResponse, SignedRequest } from './signed-fetch.js';
export { fakePlatform, requestContext, silentLogger } from './fake-platform.js';
export type { FakePlatform } from './fake-platform.js';
export { tempDir } from './temp-dir.js';
export { createPostgresTestDatabase, forEachEngine, TEST_POSTGRES_URL } from './storage-engines.js';
export type { EngineContext, PostgresTestDatabase } from './storage-engines.js';
