// What the REST API (apigateway) and HTTP API (apigatewayv2) providers share: one store and one
// data plane serving both kinds of API. Created by whichever provider starts first and closed
// when the last one closes (as DynamoDB shares its store with DynamoDB Streams).
import type { PlatformContext } from '@atoll/core';
import { ApiGatewayStore } from './apigateway-store.js';
import { ExecuteApi } from './data-plane/execute-api.js';

export class ApiGatewayContext {
  #users = 0;
  constructor(
    readonly store: ApiGatewayStore,
    readonly dataPlane: ExecuteApi,
  ) {}

  acquire(): this {
    this.#users++;
    return this;
  }

  /** True when this was the last user. */
  release(): boolean {
    return --this.#users === 0;
  }

  async close(): Promise<void> {
    this.dataPlane.close();
    await this.store.close();
  }
}

const shared = new WeakMap<object, Promise<ApiGatewayContext>>();

export async function sharedContext(platform: PlatformContext): Promise<ApiGatewayContext> {
  let ctx = shared.get(platform.storage);
  if (!ctx) {
    ctx = ApiGatewayStore.open(platform.storage).then((store) => new ApiGatewayContext(store, new ExecuteApi(platform, store)));
    shared.set(platform.storage, ctx);
    ctx.catch(() => shared.delete(platform.storage));
  }
  return (await ctx).acquire();
}

export async function releaseContext(platform: PlatformContext, ctx: ApiGatewayContext): Promise<void> {
  if (!ctx.release()) return;
  shared.delete(platform.storage);
  await ctx.close();
}
