// The traced-app's worker (a Lambda function on the SQS queue): stores each job in DynamoDB. Lambda
// hands it the message's trace in _X_AMZN_TRACE_ID (Parent = the function's segment); the DynamoDB
// call carries it on. Environment: TABLE_NAME.
const { DynamoDBClient, PutItemCommand } = require('@aws-sdk/client-dynamodb');

const dynamodb = new DynamoDBClient({});

exports.handler = async (event) => {
  for (const record of event.Records) {
    const command = new PutItemCommand({ TableName: process.env.TABLE_NAME, Item: { id: { S: record.messageId }, body: { S: record.body } } });
    const header = process.env._X_AMZN_TRACE_ID;
    if (header) {
      command.middlewareStack.add(
        (next) => (args) => {
          args.request.headers['x-amzn-trace-id'] = header;
          return next(args);
        },
        { step: 'build', name: 'traceHeader' },
      );
    }
    await dynamodb.send(command);
  }
};
