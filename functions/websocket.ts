import { websocketFunctions } from '../lib/shells/lambda/fn/websocket.js';

export const { connect, disconnect, message } = websocketFunctions();
