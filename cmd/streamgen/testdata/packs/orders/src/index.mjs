// The handler: streams a customer's orders from DynamoDB. The logic is in
// orders.mjs, which tests call with a stand-in client.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

import { createHandler } from './orders.mjs';
import { streamifyResponse } from './streamify.mjs';

export const handler = streamifyResponse(createHandler({
  client: new DynamoDBClient({}),
  tableName: process.env.TABLE_NAME,
  pageSize: Number(process.env.PAGE_SIZE ?? 100),
}));
