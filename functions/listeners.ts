import { listenersFunction } from '../lib/shells/lambda/fn/listeners.js';

export const handler = listenersFunction();
