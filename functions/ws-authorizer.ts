import { wsAuthorizerFunction } from '../lib/shells/lambda/fn/ws-authorizer.js';

export const handler = wsAuthorizerFunction();
