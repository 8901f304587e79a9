// Tests of orders.mjs with a stand-in DynamoDB client. Run with `npm test`.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { createHandler } from '../src/orders.mjs';
import { invoke, streamifyResponse } from '../src/streamify.mjs';

function fakeClient(pages) {
  const calls = [];
  return {
    calls,
    async send(command) {
      calls.push(command.input);
      return pages[calls.length - 1];
    },
  };
}

const item = (id) => ({ orderId: { S: id }, total: { N: '10' }, status: { S: 'paid' } });

test('streams every page of the customer\'s orders, one chunk per page', async () => {
  const client = fakeClient([{ Items: [item('a'), item('b')], LastEvaluatedKey: { k: 1 } }, { Items: [item('c')] }]);
  const handler = streamifyResponse(createHandler({ client, tableName: 'orders', pageSize: 2 }));
  const res = await invoke(handler, { rawPath: '/customer-1' });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['content-type'], 'application/x-ndjson');
  assert.deepEqual(res.body.toString().trim().split('\n').map((l) => JSON.parse(l).orderId), ['a', 'b', 'c']);
  assert.equal(client.calls.length, 2);
  assert.deepEqual(client.calls[1].ExclusiveStartKey, { k: 1 });
  assert.equal(client.calls[0].TableName, 'orders');
  assert.equal(client.calls[0].Limit, 2);
});

test('a bad customer id is refused before DynamoDB is called', async () => {
  const client = fakeClient([]);
  const handler = streamifyResponse(createHandler({ client, tableName: 'orders', pageSize: 2 }));
  const res = await invoke(handler, { rawPath: '/a%2Fb' });
  assert.equal(res.statusCode, 400);
  assert.equal(client.calls.length, 0);
});
