import { apiFunction } from '../lib/shells/lambda/fn/api.js';

export const handler = apiFunction();
