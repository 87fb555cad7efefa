export { createDynamoDbService, createDynamoDbStreamsService } from './dynamodb-provider.js';
