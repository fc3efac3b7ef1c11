import WebSocket from 'ws';
import { ApiError } from '../client/http.js';
import type { LiveSocket, SocketOpener } from '../client/live.js';

/**
 * A live socket on Node's `ws`, with the failures a terminal user can act on: a refused upgrade
 * names its HTTP status, anything else says the address could not be reached.
 */
export const openNodeSocket: SocketOpener = (url, wsUrl) =>
  new Promise<LiveSocket>((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => {
      reject(
        new ApiError(
          res.statusCode ?? 0,
          'WEBSOCKET_REFUSED',
          `the WebSocket at ${wsUrl} refused the connection (check --token)`,
        ),
      );
    });
    ws.once('error', (error) =>
      reject(
        new ApiError(
          0,
          'UNREACHABLE',
          `cannot reach the WebSocket at ${wsUrl} (${error.message}); check --ws-url`,
        ),
      ),
    );
  });
