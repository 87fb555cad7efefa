import { forEachEngine } from '@atoll/test-support';
import { dynamoDbStoreCases } from './dynamodb-store.case.js';

await forEachEngine('DynamoDbStore', dynamoDbStoreCases);
