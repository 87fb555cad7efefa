// OTLP requests for the receiver's tests: two spans (a SERVER root, an AWS SDK CLIENT call).
import { requestType } from '../src/otlp/otlp-codec.js';

export const nowNs = () => BigInt(Date.now()) * 1_000_000n;

export function sampleSpans(traceHex: string, rootHex: string, childHex: string, service = 'checkout') {
  const t0 = nowNs() - 50_000_000n;
  return {
    resourceSpans: [
      {
        resource: {
          attributes: [
            { key: 'service.name', value: { stringValue: service } },
            { key: 'cloud.platform', value: { stringValue: 'aws_ecs' } },
            { key: 'aws.xray.annotations', value: { arrayValue: { values: [{ stringValue: 'flag' }, { stringValue: 'count' }, { stringValue: 'tier' }] } } },
          ],
        },
        scopeSpans: [
          {
            spans: [
              {
                traceId: traceHex,
                spanId: rootHex,
                name: 'GET /cart',
                kind: 2,
                startTimeUnixNano: String(t0),
                endTimeUnixNano: String(t0 + 40_000_000n),
                attributes: [
                  { key: 'http.request.method', value: { stringValue: 'GET' } },
                  { key: 'url.full', value: { stringValue: 'http://shop/cart' } },
                  { key: 'http.response.status_code', value: { intValue: '503' } },
                  { key: 'flag', value: { boolValue: false } },
                  { key: 'count', value: { intValue: '0' } },
                  { key: 'tier', value: { stringValue: 'gold' } },
                  { key: 'ratio', value: { doubleValue: 0 } },
                ],
                status: { code: 2 },
              },
              {
                traceId: traceHex,
                spanId: childHex,
                parentSpanId: rootHex,
                name: 'DynamoDB.GetItem',
                kind: 3,
                startTimeUnixNano: String(t0 + 5_000_000n),
                endTimeUnixNano: String(t0 + 15_000_000n),
                attributes: [
                  { key: 'rpc.system', value: { stringValue: 'aws-api' } },
                  { key: 'rpc.service', value: { stringValue: 'DynamoDB' } },
                  { key: 'rpc.method', value: { stringValue: 'GetItem' } },
                  { key: 'aws.dynamodb.table_names', value: { arrayValue: { values: [{ stringValue: 'carts' }] } } },
                ],
              },
            ],
          },
        ],
      },
    ],
  };
}

/** The JSON request encoded as OTLP protobuf (ids from hex to bytes). */
export function toProtobuf(json: ReturnType<typeof sampleSpans>): Buffer {
  const T = requestType('traces');
  const withBytes = JSON.parse(JSON.stringify(json), (k, v) => (['traceId', 'spanId', 'parentSpanId'].includes(k) ? Buffer.from(v, 'hex') : v));
  return Buffer.from(T.encode(T.fromObject(withBytes)).finish());
}
