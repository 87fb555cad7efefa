import { forEachEngine } from '@atoll/test-support';
import { secretsStoreCases } from './secrets-store.case.js';

await forEachEngine('SecretsStore', secretsStoreCases);
