import WebSocket from 'ws';
import { ApiError, unreachable } from '../client/http.js';
import type { LiveSocket, SocketOpener } from '../client/live.js';

/**
 * A live socket on Node's `ws`, with failures a terminal user can act on, each in one line: a
 * wrong path (404), a refused token (401/403), TLS spoken to a plain port, nothing listening.
 */
export const openNodeSocket: SocketOpener = (url, wsUrl) =>
  new Promise<LiveSocket>((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => {
      const status = res.statusCode ?? 0;
      res.resume();
      ws.terminate();
      const origin = wsUrl.replace(/^(wss?:\/\/[^/]+).*$/, '$1');
      reject(
        // Status 0: the message says the HTTP status itself, in words.
        new ApiError(
          0,
          'WEBSOCKET_REFUSED',
          status === 404
            ? `no WebSocket endpoint at ${wsUrl} (HTTP 404): stagecoach dev serves ${origin}/ws, a deployment its WebSocketUrl output; check --ws-url`
            : status === 401 || status === 403
              ? `the WebSocket at ${wsUrl} refused the token (HTTP ${status}); check --token`
              : `the WebSocket at ${wsUrl} answered HTTP ${status} instead of upgrading; check --ws-url`,
        ),
      );
    });
    // Kept for the socket's life: an error after opening ends in 'close', which the client hears.
    ws.on('error', (error) => {
      const cause = unreachable(wsUrl, error);
      reject(
        new ApiError(
          0,
          'WEBSOCKET_UNREACHABLE',
          `the WebSocket: ${cause.message}${cause.code === 'TLS_MISMATCH' ? ' (--ws-url)' : '; check --ws-url'}`,
        ),
      );
    });
  });
