// Streams a customer's orders as newline-delimited JSON, one DynamoDB
// Query page at a time.
import { QueryCommand } from '@aws-sdk/client-dynamodb';

import { HttpResponseStream } from './streamify.mjs';

const CUSTOMER_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Returns the streaming handler for `tableName`, reading with `client`
 * (a DynamoDBClient, or a stand-in with the same send()).
 */
export function createHandler({ client, tableName, pageSize }) {
  return async (event, responseStream) => {
    const customerId = decodeURIComponent((event.rawPath ?? '/').slice(1));
    if (!CUSTOMER_ID.test(customerId)) {
      const out = HttpResponseStream.from(responseStream, { statusCode: 400, headers: { 'content-type': 'application/json' } });
      // write, then end: end(data) alone would drop the status and headers.
      out.write(JSON.stringify({ error: 'the path must be /CUSTOMER_ID (letters, digits, _ and -)' }));
      out.end();
      return;
    }
    const out = HttpResponseStream.from(responseStream, {
      statusCode: 200,
      headers: { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' },
    });
    out.write(''); // sends the status and headers before the first page
    let ExclusiveStartKey;
    do {
      const page = await client.send(new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'customerId = :c',
        ExpressionAttributeValues: { ':c': { S: customerId } },
        Limit: pageSize,
        ExclusiveStartKey,
      }));
      for (const item of page.Items ?? []) {
        out.write(JSON.stringify({ orderId: item.orderId?.S, total: item.total?.N, status: item.status?.S }) + '\n');
      }
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    out.end();
  };
}
