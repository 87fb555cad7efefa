import { forEachEngine } from '@atoll/test-support';
import { lambdaStoreCases } from './lambda-store.case.js';

await forEachEngine('LambdaStore', lambdaStoreCases);
