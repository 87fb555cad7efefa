import { forEachEngine } from '@atoll/test-support';
import { ecrStoreCases } from './ecr-store.case.js';

await forEachEngine('EcrStore', ecrStoreCases);
