import {
  type ApiGatewayManagementApiClient,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import type { LiveChannel, PostResult } from '../../core/ports/index.js';
import { call, isAwsError } from './errors.js';

/**
 * LiveChannel through the API Gateway Management API: PostToConnection on the WebSocket API's
 * connection; a connection API Gateway reports gone (410) is reported gone, for the fan-out to
 * delete.
 */
export class ApiGatewayLiveChannel implements LiveChannel {
  readonly #client: ApiGatewayManagementApiClient;

  constructor(client: ApiGatewayManagementApiClient) {
    this.#client = client;
  }

  async post(connectionId: string, data: unknown): Promise<PostResult> {
    const payload = typeof data === 'string' ? data : JSON.stringify(data);
    try {
      await this.#client.send(
        new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from(payload, 'utf8') }),
      );
      return 'sent';
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (isAwsError(error, 'GoneException') || status === 410) return 'gone';
      return call('ApiGatewayManagementApi', 'PostToConnection', () => Promise.reject(error));
    }
  }
}
