import { forEachEngine } from '@atoll/test-support';
import { sqsStoreCases } from './sqs-store.case.js';

await forEachEngine('SqsStore', sqsStoreCases);
