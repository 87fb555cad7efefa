export { spawnPlatform, startPlatform } from './start-platform.js';
export type { Credentials, SpawnedPlatform, StartPlatformOptions, TestPlatform } from './start-platform.js';
