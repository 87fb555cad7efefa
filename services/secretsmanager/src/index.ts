// @atoll/secretsmanager: AWS Secrets Manager (secrets, versions and staging labels, deletion with a
// recovery window, tags, resource policies, random passwords, rotation through Lambda), values
// sealed at rest with AES-256-GCM.
import type { ServiceFactory } from '@atoll/core';
import { SecretsManagerProvider } from './secrets-provider.js';

export const createSecretsManagerService: ServiceFactory = (platform) => new SecretsManagerProvider(platform);
export { SecretsManagerProvider } from './secrets-provider.js';
export { SecretsStore } from './secrets-store.js';
export { SecretCipher } from './secret-cipher.js';
